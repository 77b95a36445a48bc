// The signing keys (kid, algorithm, state, dates), newest first, and their rotation: a new key is
// announced in the JWKS before it signs (the publish-ahead), or signs at once in an emergency.
import { getData, type KeyRotation, type SigningKey, send } from '../api.ts';
import type { Context } from '../context.ts';
import { h, time, uid } from '../dom.ts';
import {
  busy,
  dialogShell,
  empty,
  errorLine,
  failed,
  loading,
  notice,
  openDialog,
  pageHeading,
  textField,
} from '../ui.ts';

/** Each state's badge: its text and class. */
const STATES: Readonly<Record<SigningKey['state'], readonly [string, string]>> = {
  next: ['Next', 'badge-next'],
  current: ['Current', 'badge-ok'],
  retired: ['Retired', 'badge-off'],
};

/** When a key signs from: to the second for a next key (minutes away); never for a key replaced before it signed. */
function signsFrom(key: SigningKey): Node {
  if (key.retired_at !== null && Date.parse(key.retired_at) < Date.parse(key.activates_at)) {
    return h('span', { class: 'muted' }, 'Never (replaced)');
  }
  return time(key.activates_at, key.state === 'next');
}

function table(keys: readonly SigningKey[]): HTMLElement {
  const head = ['Key ID (kid)', 'Algorithm', 'State', 'Created', 'Signs from', 'Retired'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Signing keys, newest first'),
      h('thead', {}, h('tr', {}, ...head.map((text) => h('th', { scope: 'col' }, text)))),
      h(
        'tbody',
        {},
        ...keys.map((key) => {
          const [label, badge] = STATES[key.state] ?? [key.state, 'badge-off'];
          return h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('code', { class: 'mono kid' }, key.kid)),
            h('td', {}, key.alg),
            h('td', {}, h('span', { class: `badge ${badge}` }, label)),
            h('td', { class: 'nowrap' }, time(key.created_at)),
            h('td', { class: 'nowrap' }, signsFrom(key)),
            h('td', { class: 'nowrap' }, time(key.retired_at, key.state !== 'retired')),
          );
        }),
      ),
    ),
  );
}

/** An `<option>`. */
function option(value: string, text: string, selected = false): HTMLOptionElement {
  return h('option', { value, selected }, text);
}

/**
 * The rotation dialog: the new key's algorithm and when it starts signing (by default 10 minutes
 * after it is published; "At once" is the emergency path), then `Rotate signing key`.
 */
function rotateDialog(done: () => Promise<void>): void {
  const error = errorLine();
  const alg = h(
    'select',
    { class: 'input' },
    option('EdDSA', 'EdDSA (Ed25519)', true),
    option('ES256', 'ES256 (ECDSA P-256)'),
    option('RS256', 'RS256 (RSA 2048-bit)'),
  );
  const ahead = h(
    'select',
    { class: 'input' },
    option('', 'In 10 minutes (the default)', true),
    option('1h', 'In 1 hour'),
    option('24h', 'In 24 hours'),
    option('0', 'At once (emergency)'),
  );
  const atOnce = h(
    'div',
    { class: 'callout callout-warning', hidden: true },
    h('p', { class: 'callout-title' }, 'For a key that must stop signing now.'),
    h(
      'p',
      {},
      'A resource server that fetched the JWKS in the last 5 minutes does not know the new key yet: it refuses new tokens until it fetches the JWKS again.',
    ),
  );
  ahead.addEventListener('change', () => {
    atOnce.hidden = ahead.value !== '0';
  });
  const cancel = h('button', { type: 'button', class: 'button', autofocus: true }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'button button-primary' }, 'Rotate signing key');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'p',
      {},
      'The new key is published in the JWKS at once, so resource servers can fetch it before it signs anything. The current key signs until then, then retires: it stays published while tokens it signed can still be valid, so nothing stops working.',
    ),
    textField('Algorithm', alg, 'The alg of the tokens the new key signs; resource servers must accept it.'),
    textField(
      'Start signing',
      ahead,
      'Resource servers may cache the JWKS for 5 minutes: 10 minutes gives every one of them time to fetch the new key.',
    ),
    atOnce,
    error.element,
  );
  const formId = uid('rotate-form');
  form.id = formId;
  confirm.setAttribute('form', formId);
  const dialog = dialogShell('Rotate the signing key?', [form], [cancel, confirm]);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.clear();
    void busy(confirm, async () => {
      try {
        const rotation = await send<KeyRotation>('POST', 'keys/rotate', {
          alg: alg.value,
          ...(ahead.value === '' ? {} : { publish_ahead: ahead.value }),
        });
        dialog.close();
        notice(
          rotation.state === 'next'
            ? `Rotated: ${rotation.kid} is published and signs from ${time(rotation.activates_at, true).textContent ?? rotation.activates_at}`
            : `Rotated: ${rotation.kid} now signs new tokens`,
        );
        await done();
      } catch (e) {
        error.show(e);
      }
    });
  });
  openDialog(dialog);
}

/** The signing keys screen. */
export function keysScreen(_ctx: Context): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });
  const results = h('div', { class: 'results' }, loading('the signing keys'));
  let refresh = 0;

  const load = async (): Promise<void> => {
    window.clearTimeout(refresh);
    results.setAttribute('aria-busy', 'true');
    try {
      const keys = await getData<SigningKey[]>('keys');
      if (!view.isConnected) return;
      results.replaceChildren(
        keys.length === 0 ? empty('No signing keys', 'The server makes one when it starts.') : table(keys),
      );
      // Shown again once the next key signs (while the screen is open).
      const next = keys.filter((key) => key.state === 'next').map((key) => Date.parse(key.activates_at));
      if (next.length > 0) {
        const wait = Math.min(Math.max(Math.min(...next) - Date.now() + 1000, 1000), 2_147_483_647);
        refresh = window.setTimeout(() => {
          if (view.isConnected) void load();
        }, wait);
      }
    } catch (error) {
      if (view.isConnected) results.replaceChildren(failed('the signing keys', error, () => void load()));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };

  const rotate = h('button', { type: 'button', class: 'button button-primary' }, 'Rotate signing key');
  rotate.addEventListener('click', () => rotateDialog(load));

  view.append(
    pageHeading('Signing keys', rotate),
    h(
      'p',
      { class: 'lead' },
      'Tokens are signed with the current key. Resource servers find the public keys in the ',
      h('a', { href: '.well-known/jwks.json' }, 'JWKS'),
      ': a next key is there before it signs, and retired keys stay there while tokens they signed can still be valid.',
    ),
    results,
  );
  void load();
  return view;
}
