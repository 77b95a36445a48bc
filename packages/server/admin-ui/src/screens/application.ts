// One application: its facts, its secrets (the current one, and the old one of a rotation while
// in its grace period, with `Revoke secret`), its settings (name, scopes, token expiration), and
// the actions Disable/Enable, Rotate secret (with a grace period for the old secret), Revoke
// tokens and Delete (after typing its name). The action buttons exist only here, so each name is
// on the screen once.
import {
  ApiFailure,
  type Application,
  type ApplicationSecret,
  applicationPath,
  call,
  getData,
  type RotatedSecret,
  send,
} from '../api.ts';
import type { Context } from '../context.ts';
import { copyText, expirationText, h, secretHint, statusBadge, time, uid } from '../dom.ts';
import {
  busy,
  confirmAction,
  dialogShell,
  errorLine,
  expirationSelect,
  failed,
  loading,
  notice,
  openDialog,
  scopeFieldset,
  secretPanel,
  textField,
} from '../ui.ts';
import { scopeChips } from './applications.ts';
import { checkName } from './create.ts';

function fact(term: string, ...value: (Node | string)[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

/** The facts of an application, as a description list. */
function facts(app: Application, catalogue: Awaited<ReturnType<Context['catalogue']>>): HTMLElement {
  const status = h('span', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  return h(
    'dl',
    { class: 'facts' },
    ...fact(
      'Application ID',
      h(
        'span',
        { class: 'id-copy' },
        h('code', { class: 'mono' }, app.application_id),
        h(
          'button',
          {
            type: 'button',
            class: 'button button-small',
            'aria-label': 'Copy application ID',
            onclick: () => void copyText(app.application_id, status, 'Application ID'),
          },
          'Copy',
        ),
        status,
      ),
    ),
    ...fact('Status', statusBadge(app.status)),
    ...fact('Scopes', scopeChips(app.scopes, catalogue)),
    ...fact('Token expiration', expirationText(app.token_expiration)),
    ...fact('Secret', secretHint(app.secret_hint)),
    ...fact('Number', String(app.number)),
    ...fact('Created', time(app.created_at)),
    ...fact('Updated', time(app.updated_at)),
    ...fact(
      'Tokens revoked before',
      app.tokens_not_before === null ? 'Never revoked' : time(app.tokens_not_before, true),
    ),
  );
}

/** How long the old secret may keep working after a rotation: the API's `grace`, and its text. */
const GRACES = [
  ['0', 'Not at all: it stops at once'],
  ['15m', 'For 15 minutes'],
  ['1h', 'For 1 hour'],
  ['24h', 'For 24 hours'],
  ['7d', 'For 7 days'],
] as const;

/**
 * The secrets of an application, as a table: hint, ID, created, last used, and until when each
 * works (the current one until it is rotated), with `Revoke secret` for the old one.
 */
function secretsTable(
  app: Application,
  revoke: (secret: ApplicationSecret) => HTMLButtonElement,
): HTMLElement {
  const head = ['Secret', 'Secret ID', 'Created', 'Last used', 'Works until', 'Action'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, `Secrets of ${app.name}, current first`),
      h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { scope: 'col' }, text)))),
      h(
        'tbody',
        {},
        ...app.secrets.map((secret) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, secretHint(secret.hint)),
            h('td', {}, h('code', { class: 'mono' }, secret.id)),
            h('td', { class: 'nowrap' }, secret.created_at === null ? 'Unknown' : time(secret.created_at)),
            h(
              'td',
              { class: 'nowrap' },
              secret.last_used_at === null ? 'Not yet' : time(secret.last_used_at),
            ),
            h(
              'td',
              { class: 'nowrap' },
              secret.expires_at === null
                ? h('span', { class: 'badge badge-ok' }, 'Current')
                : time(secret.expires_at, true),
            ),
            h(
              'td',
              {},
              secret.expires_at === null ? h('span', { class: 'hint' }, 'Rotate to replace') : revoke(secret),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * The rotation dialog: how long the current secret keeps working (default: it stops at once),
 * then `Rotate secret`. With two secrets already, it says to revoke the old one first.
 */
function rotateDialog(app: Application, returnTo: HTMLElement, done: (rotated: RotatedSecret) => void): void {
  const error = errorLine();
  const grace = h(
    'select',
    { class: 'input' },
    ...GRACES.map(([value, text], i) => h('option', { value, selected: i === 0 }, text)),
  );
  const old = app.secrets[1];
  const cancel = h('button', { type: 'button', class: 'button', autofocus: true }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'submit', class: 'button button-primary', disabled: old !== undefined },
    'Rotate secret',
  );
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'p',
      {},
      'A new secret is made and shown once. The current secret can keep working for a while, so the clients that use it can be moved to the new one first; then it stops on every server.',
    ),
    textField(
      'The current secret keeps working',
      grace,
      'Until then both secrets work. You can revoke the old one earlier (Revoke secret).',
    ),
    old === undefined
      ? null
      : h(
          'div',
          { class: 'callout callout-warning', role: 'note' },
          h('p', { class: 'callout-title' }, 'It already has two secrets.'),
          h(
            'p',
            {},
            `Revoke the old one (ending in ${old.hint ?? '????'}) first, or rotate once its grace period is over.`,
          ),
        ),
    error.element,
  );
  const formId = uid('rotate-secret-form');
  form.id = formId;
  confirm.setAttribute('form', formId);
  const dialog = dialogShell(`Rotate the secret of ${app.name}?`, [form], [cancel, confirm]);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (old !== undefined) return;
    error.clear();
    void busy(confirm, async () => {
      try {
        const rotated = await send<RotatedSecret>(
          'POST',
          applicationPath(app.application_id, 'rotate-secret'),
          {
            grace: grace.value,
          },
        );
        dialog.close();
        done(rotated);
      } catch (e) {
        error.show(e);
      }
    });
  });
  openDialog(dialog, returnTo);
}

/** One action: what it does, and its button. */
function actionItem(title: string, text: string, button: HTMLButtonElement, danger = false): HTMLElement {
  const textId = uid('action-text');
  button.setAttribute('aria-describedby', textId);
  return h(
    'div',
    { class: `action${danger ? ' action-danger' : ''}` },
    h('div', {}, h('h3', { class: 'action-title' }, title), h('p', { id: textId, class: 'hint' }, text)),
    button,
  );
}

/** The application screen for `id`. */
export function applicationScreen(ctx: Context, id: string): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });

  const load = async (): Promise<void> => {
    view.replaceChildren(
      h(
        'nav',
        { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: '#/applications' }, 'Applications'),
      ),
      h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', id: 'page-title' }, 'Application')),
      loading('the application'),
    );
    try {
      const [app, catalogue] = await Promise.all([
        getData<Application>(applicationPath(id)),
        ctx.catalogue(),
      ]);
      if (view.isConnected) render(app, catalogue);
    } catch (error) {
      if (!view.isConnected) return;
      view.lastElementChild?.replaceWith(
        error instanceof ApiFailure && error.status === 404
          ? h(
              'div',
              { class: 'state state-error', role: 'alert' },
              h('p', { class: 'state-title' }, 'No application with this ID'),
              h(
                'p',
                {},
                'It may have been deleted. ',
                h('a', { href: '#/applications' }, 'Back to applications'),
              ),
            )
          : failed('the application', error, () => void load()),
      );
    }
  };

  const render = (initial: Application, catalogue: Awaited<ReturnType<Context['catalogue']>>): void => {
    let app = initial;
    const title = h('h1', { tabindex: '-1', id: 'page-title' }, app.name);
    const badge = h('span', {}, statusBadge(app.status));
    const crumb = h('span', {}, app.name);
    const factsBox = h('div', { class: 'card' }, facts(app, catalogue));
    const secretsBox = h('div', {});
    const revokeSecret = (secret: ApplicationSecret): HTMLButtonElement => {
      const button = h(
        'button',
        { type: 'button', class: 'button button-small button-danger' },
        'Revoke secret',
      );
      button.addEventListener('click', () =>
        confirmAction({
          title: `Revoke the old secret of ${app.name}?`,
          text: `The secret ending in ${secret.hint ?? '????'} (${secret.id}) stops working at once, on every server, before its grace period is over. Clients still using it get 401.`,
          confirmLabel: 'Revoke secret',
          danger: true,
          action: async () => {
            show(
              await send<Application>(
                'DELETE',
                applicationPath(app.application_id, `secrets/${encodeURIComponent(secret.id)}`),
              ),
            );
            notice(`Revoked the old secret of ${app.name}: it no longer works`);
          },
        }),
      );
      return button;
    };
    const show = (next: Application): void => {
      app = next;
      title.textContent = app.name;
      crumb.textContent = app.name;
      badge.replaceChildren(statusBadge(app.status));
      factsBox.replaceChildren(facts(app, catalogue));
      secretsBox.replaceChildren(secretsTable(app, revokeSecret));
      toggle.textContent = app.status === 'active' ? 'Disable' : 'Enable';
      toggleText.textContent =
        app.status === 'active'
          ? 'Token requests are refused (403) and its tokens stop working, until it is enabled again.'
          : 'It is disabled: token requests are refused (403). Enabling lets it request tokens again.';
      document.title = `${app.name} · Admin · SMS.CX OAuth`;
    };

    // Settings.
    const name = h('input', {
      type: 'text',
      class: 'input',
      required: true,
      maxlength: '100',
      value: app.name,
    });
    const scopes = scopeFieldset(catalogue, new Set(app.scopes.split(' ')));
    const expiration = expirationSelect(app.token_expiration);
    const settingsError = errorLine();
    const save = h('button', { type: 'submit', class: 'button button-primary' }, 'Save changes');
    const settings = h(
      'form',
      { class: 'form', novalidate: true, 'aria-labelledby': 'settings-title' },
      textField('Name', name),
      scopes.element,
      textField('Token expiration', expiration, 'Applies to tokens issued from now on.'),
      settingsError.element,
      h('div', { class: 'actions-row' }, save),
    );
    settings.addEventListener('submit', (event) => {
      event.preventDefault();
      settingsError.clear();
      const checked = checkName(name.value);
      if (checked instanceof ApiFailure) {
        settingsError.show(checked);
        name.focus();
        return;
      }
      const selected = scopes.selected();
      if (selected.length === 0) {
        settingsError.show(new ApiFailure('http', 'Scopes: choose at least one scope.'));
        return;
      }
      const changes: Record<string, unknown> = {};
      if (checked !== app.name) changes.name = checked;
      if (selected.join(' ') !== app.scopes) changes.scopes = selected;
      if (expiration.value !== app.token_expiration) changes.token_expiration = expiration.value;
      if (Object.keys(changes).length === 0) {
        notice('Nothing to save: the settings are unchanged');
        return;
      }
      void busy(save, async () => {
        try {
          show(await send<Application>('PATCH', applicationPath(app.application_id), changes));
          notice(`Saved the settings of ${app.name}`);
        } catch (e) {
          settingsError.show(e);
        }
      });
    });

    // Actions.
    const actionError = errorLine();
    const toggle = h('button', { type: 'button', class: 'button' }, '');
    const toggleText = h('span', {});
    toggle.addEventListener('click', () => {
      actionError.clear();
      const enable = app.status !== 'active';
      void busy(toggle, async () => {
        try {
          show(
            await send<Application>(
              'POST',
              applicationPath(app.application_id, enable ? 'enable' : 'disable'),
            ),
          );
          notice(enable ? `Enabled ${app.name}` : `Disabled ${app.name}: its token requests are refused`);
        } catch (e) {
          actionError.show(e);
        }
      });
    });
    const toggleItem = actionItem('Status', '', toggle);
    toggleItem.querySelector('.hint')?.replaceChildren(toggleText);

    const rotate = h('button', { type: 'button', class: 'button' }, 'Rotate secret');
    rotate.addEventListener('click', () =>
      rotateDialog(app, rotate, (rotated) => {
        show({ ...app, secret_hint: rotated.secret_hint, secrets: rotated.secrets });
        const old = rotated.secrets[1];
        notice(
          old?.expires_at == null
            ? `Rotated the secret of ${app.name}: the old one no longer works`
            : `Rotated the secret of ${app.name}: the old one works until ${time(old.expires_at, true).textContent ?? old.expires_at}`,
        );
        void getData<Application>(applicationPath(app.application_id)).then(show, () => {});
        const done = h(
          'button',
          { type: 'button', class: 'button button-primary' },
          'I have copied the secret',
        );
        const dialog = dialogShell(`New secret for ${app.name}`, [secretPanel(rotated)], [done]);
        done.addEventListener('click', () => dialog.close());
        openDialog(dialog, rotate);
      }),
    );

    const revoke = h('button', { type: 'button', class: 'button' }, 'Revoke tokens');
    revoke.addEventListener('click', () =>
      confirmAction({
        title: `Revoke every token of ${app.name}?`,
        text: 'Every access token issued to it until now stops working at once. It can still request new tokens with its secret.',
        confirmLabel: 'Revoke tokens',
        action: async () => {
          const result = await send<{ tokens_not_before: string }>(
            'POST',
            applicationPath(app.application_id, 'revoke-tokens'),
          );
          show({ ...app, tokens_not_before: result.tokens_not_before });
          notice(`Revoked the tokens of ${app.name}`);
        },
      }),
    );

    const remove = h('button', { type: 'button', class: 'button button-danger' }, 'Delete');
    remove.addEventListener('click', () => deleteDialog(ctx, app));

    view.replaceChildren(
      h(
        'nav',
        { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: '#/applications' }, 'Applications'),
        h('span', { 'aria-hidden': 'true' }, ' / '),
        crumb,
      ),
      h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, title, badge)),
      factsBox,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'secrets-title' },
        h('h2', { id: 'secrets-title' }, 'Secrets'),
        h(
          'p',
          { class: 'hint' },
          'At most two: the current one, and after a rotation with a grace period the old one until its time is up. Last used is to the minute, about a minute behind.',
        ),
        secretsBox,
      ),
      h(
        'div',
        { class: 'columns' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'settings-title' },
          h('h2', { id: 'settings-title' }, 'Settings'),
          settings,
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'actions-title' },
          h('h2', { id: 'actions-title' }, 'Actions'),
          actionError.element,
          toggleItem,
          actionItem(
            'Rotate secret',
            'Makes a new secret, shown once; the current one stops at once or after the grace period you choose.',
            rotate,
          ),
          actionItem(
            'Revoke tokens',
            'Every token issued so far stops working; new tokens can still be requested.',
            revoke,
          ),
          actionItem(
            'Delete application',
            'Removes it for good: its credentials stop working and its tokens become inactive.',
            remove,
            true,
          ),
        ),
      ),
    );
    show(app);
    title.focus();
  };

  void load();
  return view;
}

/** The delete confirmation: type the application's name, then `Delete`. */
function deleteDialog(ctx: Context, app: Application): void {
  const error = errorLine();
  const typed = h('input', {
    type: 'text',
    class: 'input',
    autocomplete: 'off',
    spellcheck: 'false',
    autofocus: true,
  });
  const confirm = h('button', { type: 'submit', class: 'button button-danger', disabled: true }, 'Delete');
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'p',
      {},
      'This deletes ',
      h('strong', {}, app.name),
      ' for good: its ID and secret stop working at once and its tokens become inactive. It cannot be undone.',
    ),
    textField('Type the application name to confirm', typed),
    error.element,
  );
  const formId = uid('delete-form');
  form.id = formId;
  confirm.setAttribute('form', formId);
  const dialog = dialogShell(`Delete ${app.name}?`, [form], [cancel, confirm], true);
  typed.addEventListener('input', () => {
    confirm.disabled = typed.value !== app.name;
  });
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (typed.value !== app.name) return;
    error.clear();
    void busy(confirm, async () => {
      try {
        await call('DELETE', applicationPath(app.application_id));
        dialog.close();
        notice(`Deleted ${app.name}`);
        ctx.navigate('#/applications');
      } catch (e) {
        error.show(e);
      }
    }).then(() => {
      confirm.disabled = typed.value !== app.name;
    });
  });
  openDialog(dialog);
}
