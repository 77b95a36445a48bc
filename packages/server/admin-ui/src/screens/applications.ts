// The application list: name, ID, scopes, token expiration, status, created, secret hint,
// newest first, with a search over the name and the ID (the API's `?search=`).
import { type Application, getData, type Scope } from '../api.ts';
import type { Context } from '../context.ts';
import { expirationText, h, secretHint, statusBadge, time } from '../dom.ts';
import { empty, failed, loading, pageHeading, textField } from '../ui.ts';

/** The search kept while the tab is open, so coming back from an application restores it. */
let lastSearch = '';

/** Scope chips (at most 4 shown; all of them read out), or "All scopes". */
export function scopeChips(scopes: string, catalogue: readonly Scope[]): HTMLElement {
  const list = scopes === '' ? [] : scopes.split(' ');
  if (catalogue.length > 0 && list.length === catalogue.length) {
    return h('span', { class: 'chip chip-all' }, `All scopes (${list.length})`);
  }
  const shown = list.length > 4 ? list.slice(0, 3) : list;
  return h(
    'span',
    { class: 'chips' },
    h('span', { class: 'visually-hidden' }, list.join(', ')),
    ...shown.map((scope) => h('span', { class: 'chip', 'aria-hidden': 'true' }, scope)),
    list.length > shown.length
      ? h('span', { class: 'chip chip-more', 'aria-hidden': 'true' }, `+${list.length - shown.length} more`)
      : null,
  );
}

function table(applications: readonly Application[], catalogue: readonly Scope[]): HTMLElement {
  const head = ['Name', 'Application ID', 'Scopes', 'Token expiration', 'Status', 'Created', 'Secret'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Applications, newest first'),
      h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { scope: 'col' }, text)))),
      h(
        'tbody',
        {},
        ...applications.map((app) =>
          h(
            'tr',
            {},
            h(
              'th',
              { scope: 'row', class: 'cell-name' },
              h('a', { href: `#/applications/${app.application_id}`, class: 'row-link' }, app.name),
            ),
            h('td', {}, h('code', { class: 'mono id', title: app.application_id }, app.application_id)),
            h('td', {}, scopeChips(app.scopes, catalogue)),
            h('td', {}, expirationText(app.token_expiration)),
            h('td', {}, statusBadge(app.status)),
            h('td', { class: 'nowrap' }, time(app.created_at)),
            h('td', {}, secretHint(app.secret_hint)),
          ),
        ),
      ),
    ),
  );
}

/** The application list screen. */
export function applicationsScreen(ctx: Context): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });
  const results = h('div', { class: 'results' });
  const count = h('p', { class: 'count', role: 'status' });
  const search = h('input', {
    type: 'search',
    class: 'input',
    placeholder: 'Name or application ID',
    autocomplete: 'off',
    spellcheck: 'false',
    value: lastSearch,
  });
  let generation = 0;

  const load = async (): Promise<void> => {
    generation += 1;
    const mine = generation;
    const term = search.value.trim();
    lastSearch = search.value;
    results.setAttribute('aria-busy', 'true');
    if (results.childElementCount === 0) results.replaceChildren(loading('applications'));
    try {
      const [applications, catalogue] = await Promise.all([
        getData<Application[]>(`applications${term === '' ? '' : `?search=${encodeURIComponent(term)}`}`),
        ctx.catalogue().catch(() => [] as readonly Scope[]),
      ]);
      if (mine !== generation || !view.isConnected) return;
      const n = applications.length;
      count.textContent =
        term === ''
          ? `${n} application${n === 1 ? '' : 's'}`
          : `${n} application${n === 1 ? ' matches' : 's match'} “${term}”`;
      if (n === 0 && term === '') {
        results.replaceChildren(
          empty(
            'No applications yet',
            'An application is a client of the SMS.CX API: it gets an ID and a secret and requests tokens with them. Use “New application” to create the first one.',
          ),
        );
      } else if (n === 0) {
        results.replaceChildren(
          empty('No application matches this search', 'Search looks in application names and IDs.'),
        );
      } else {
        results.replaceChildren(table(applications, catalogue));
      }
    } catch (error) {
      if (mine !== generation || !view.isConnected) return;
      count.textContent = '';
      results.replaceChildren(failed('the applications', error, () => void load()));
    } finally {
      if (mine === generation) results.removeAttribute('aria-busy');
    }
  };

  let timer = 0;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void load(), 200);
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      window.clearTimeout(timer);
      void load();
    }
  });

  view.append(
    pageHeading(
      'Applications',
      h(
        'button',
        { type: 'button', class: 'button button-primary', onclick: () => ctx.navigate('#/applications/new') },
        'New application',
      ),
    ),
    h('div', { class: 'toolbar' }, textField('Search', search), count),
    results,
  );
  void load();
  return view;
}
