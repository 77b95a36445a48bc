// The audit log: every change, newest first, a page at a time (the API's `next` cursor).
import { type Actor, type AuditEntry, call } from '../api.ts';
import type { Context } from '../context.ts';
import { h, time } from '../dom.ts';
import { empty, failed, loading, pageHeading } from '../ui.ts';

/** Entries per page. */
export const AUDIT_PAGE = 50;

function actorText(actor: Actor): Node {
  switch (actor.type) {
    case 'api_key':
      return h('span', {}, `API key “${actor.name}” `, h('code', { class: 'mono muted' }, actor.id));
    case 'cli':
      return h('span', {}, `Command line (${actor.user})`);
    default:
      return h('span', {}, 'Server');
  }
}

function detailsText(details: Readonly<Record<string, unknown>>): Node {
  const entries = Object.entries(details);
  if (entries.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'ul',
    { class: 'details' },
    ...entries.map(([key, value]) =>
      h(
        'li',
        {},
        h('span', { class: 'muted' }, `${key}: `),
        Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : JSON.stringify(value),
      ),
    ),
  );
}

function row(entry: AuditEntry): HTMLElement {
  return h(
    'tr',
    {},
    h('td', { class: 'nowrap' }, time(entry.at, true)),
    h('td', {}, actorText(entry.actor)),
    h('td', {}, h('code', { class: 'mono action-code' }, entry.action)),
    h(
      'td',
      {},
      h('div', { class: 'muted' }, entry.target_type.replace('_', ' ')),
      h('code', { class: 'mono id', title: entry.target_id }, entry.target_id),
    ),
    h('td', {}, detailsText(entry.details)),
    h(
      'td',
      {},
      entry.request_id === null
        ? h('span', { class: 'muted' }, '—')
        : h('code', { class: 'mono id', title: entry.request_id }, entry.request_id),
    ),
  );
}

/** The audit log screen. */
export function auditScreen(_ctx: Context): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });
  const results = h('div', { class: 'results' });
  const footer = h('div', { class: 'table-footer' });
  const count = h('p', { class: 'count', role: 'status' });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'button' }, 'Load older entries');
  let next: number | null = null;
  let shown = 0;

  const tableView = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table table-audit' },
      h('caption', { class: 'visually-hidden' }, 'Audit log, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['When', 'Actor', 'Action', 'Target', 'Details', 'Request ID'].map((text) =>
            h('th', { scope: 'col' }, text),
          ),
        ),
      ),
      body,
    ),
  );

  const page = async (first: boolean): Promise<void> => {
    const query = `audit?limit=${AUDIT_PAGE}${first || next === null ? '' : `&before=${next}`}`;
    if (first) {
      results.replaceChildren(loading('the audit log'));
      footer.replaceChildren();
    }
    results.setAttribute('aria-busy', 'true');
    try {
      const answer = await call<{ data: AuditEntry[]; next: number | null }>('GET', query);
      if (!view.isConnected) return;
      if (first) {
        body.replaceChildren();
        shown = 0;
      }
      body.append(...answer.data.map(row));
      shown += answer.data.length;
      next = answer.next;
      if (shown === 0) {
        results.replaceChildren(
          empty('No audit entries yet', 'Changes to applications, keys and API keys appear here.'),
        );
        footer.replaceChildren();
        return;
      }
      if (first) results.replaceChildren(tableView);
      count.textContent = `${shown} entr${shown === 1 ? 'y' : 'ies'} shown${next === null ? ' (all of them)' : ''}`;
      footer.replaceChildren(count, next === null ? '' : more);
    } catch (error) {
      if (!view.isConnected) return;
      if (first) results.replaceChildren(failed('the audit log', error, () => void page(true)));
      else footer.replaceChildren(failed('older entries', error, () => void page(false)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };

  more.addEventListener('click', () => {
    const firstNew = shown;
    more.disabled = true;
    void page(false).then(() => {
      more.disabled = false;
      // Keyboard users carry on from the first new row.
      const target = body.rows[firstNew]?.cells[0];
      if (target !== undefined) {
        target.tabIndex = -1;
        target.focus();
      }
    });
  });

  view.append(
    pageHeading(
      'Audit log',
      h('button', { type: 'button', class: 'button', onclick: () => void page(true) }, 'Refresh'),
    ),
    h(
      'p',
      { class: 'lead' },
      'Every change made with the admin API, this page or the command line, newest first. No secret, key or token is ever recorded.',
    ),
    results,
    footer,
  );
  void page(true);
  return view;
}
