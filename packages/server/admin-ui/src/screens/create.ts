// Creating an application: name, scopes (a checkbox per catalogue scope, with its description),
// token expiration; then its ID and secret, shown once.
import { ApiFailure, type Application, type Credentials, send } from '../api.ts';
import type { Context } from '../context.ts';
import { h } from '../dom.ts';
import {
  busy,
  errorLine,
  expirationSelect,
  failed,
  loading,
  notice,
  pageHeading,
  scopeFieldset,
  secretPanel,
  textField,
} from '../ui.ts';

/** The name as the API takes it, or a message saying what is wrong with it. */
export function checkName(value: string): string | ApiFailure {
  const name = value.trim();
  if (name === '') return new ApiFailure('http', 'Name: enter a name (1 to 100 characters).');
  if ([...name].length > 100) return new ApiFailure('http', 'Name: at most 100 characters.');
  return name;
}

/** The screen shown once after creating: the application ID and its secret. */
function createdScreen(ctx: Context, app: Application & Credentials): HTMLElement {
  return h(
    'section',
    { class: 'screen', 'aria-labelledby': 'page-title' },
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/applications' }, 'Applications'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', {}, app.name),
    ),
    pageHeading('Application created'),
    h(
      'p',
      { class: 'lead' },
      h('strong', {}, app.name),
      ' can now request tokens with these credentials (HTTP Basic on POST /oauth/token).',
    ),
    h('div', { class: 'card card-narrow' }, secretPanel(app)),
    h(
      'div',
      { class: 'actions-row' },
      h(
        'button',
        {
          type: 'button',
          class: 'button button-primary',
          onclick: () => ctx.navigate(`#/applications/${app.application_id}`),
        },
        'I have copied the secret',
      ),
      h('a', { href: '#/applications', class: 'button' }, 'Back to applications'),
    ),
  );
}

/** The "New application" screen. */
export function createScreen(ctx: Context): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });
  const body = h('div', {}, loading('the scope catalogue'));
  view.append(
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/applications' }, 'Applications'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', {}, 'New application'),
    ),
    pageHeading('New application'),
    body,
  );

  const render = async (): Promise<void> => {
    body.replaceChildren(loading('the scope catalogue'));
    let catalogue: Awaited<ReturnType<Context['catalogue']>>;
    try {
      catalogue = await ctx.catalogue();
    } catch (error) {
      body.replaceChildren(failed('the scope catalogue', error, () => void render()));
      return;
    }
    if (!view.isConnected) return;
    const name = h('input', {
      type: 'text',
      class: 'input',
      required: true,
      maxlength: '100',
      autocomplete: 'off',
    });
    const scopes = scopeFieldset(catalogue, new Set());
    const expiration = expirationSelect('1d');
    const error = errorLine();
    const create = h('button', { type: 'submit', class: 'button button-primary' }, 'Create');
    const form = h(
      'form',
      { class: 'card form', novalidate: true },
      textField('Name', name, 'Shown in the list and the audit log; 1 to 100 characters.'),
      scopes.element,
      textField(
        'Token expiration',
        expiration,
        'How long each access token is valid. “Never” tokens stay valid until revoked.',
      ),
      error.element,
      h(
        'div',
        { class: 'actions-row' },
        create,
        h('a', { href: '#/applications', class: 'button' }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      error.clear();
      const checked = checkName(name.value);
      if (checked instanceof ApiFailure) {
        error.show(checked);
        name.focus();
        return;
      }
      const selected = scopes.selected();
      if (selected.length === 0) {
        error.show(new ApiFailure('http', 'Scopes: choose at least one scope.'));
        scopes.element.querySelector('input')?.focus();
        return;
      }
      void busy(create, async () => {
        try {
          const app = await send<Application & Credentials>('POST', 'applications', {
            name: checked,
            scopes: selected,
            token_expiration: expiration.value,
          });
          if (!view.isConnected) return;
          view.replaceWith(createdScreen(ctx, app));
          document.title = 'Application created · Admin · SMS.CX OAuth';
          document.getElementById('page-title')?.focus();
          notice(`Created ${app.name}`);
        } catch (e) {
          error.show(e);
        }
      });
    });
    body.replaceChildren(form);
    name.focus();
  };
  void render();
  return view;
}
