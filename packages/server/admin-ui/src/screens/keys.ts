// The signing keys (kid, algorithm, state, dates), newest first, and their rotation.
import { getData, type SigningKey, send } from '../api.ts';
import type { Context } from '../context.ts';
import { h, time } from '../dom.ts';
import { confirmAction, empty, failed, loading, notice, pageHeading } from '../ui.ts';

function table(keys: readonly SigningKey[]): HTMLElement {
  const head = ['Key ID (kid)', 'Algorithm', 'State', 'Created', 'Retired'];
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
        ...keys.map((key) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('code', { class: 'mono kid' }, key.kid)),
            h('td', {}, key.alg),
            h(
              'td',
              {},
              h(
                'span',
                { class: `badge ${key.state === 'current' ? 'badge-ok' : 'badge-off'}` },
                key.state === 'current' ? 'Current' : 'Retired',
              ),
            ),
            h('td', { class: 'nowrap' }, time(key.created_at)),
            h('td', { class: 'nowrap' }, time(key.retired_at)),
          ),
        ),
      ),
    ),
  );
}

/** The signing keys screen. */
export function keysScreen(_ctx: Context): HTMLElement {
  const view = h('section', { class: 'screen', 'aria-labelledby': 'page-title' });
  const results = h('div', { class: 'results' }, loading('the signing keys'));

  const load = async (): Promise<void> => {
    results.setAttribute('aria-busy', 'true');
    try {
      const keys = await getData<SigningKey[]>('keys');
      if (!view.isConnected) return;
      results.replaceChildren(
        keys.length === 0 ? empty('No signing keys', 'The server makes one when it starts.') : table(keys),
      );
    } catch (error) {
      if (view.isConnected) results.replaceChildren(failed('the signing keys', error, () => void load()));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };

  const rotate = h('button', { type: 'button', class: 'button button-primary' }, 'Rotate signing key');
  rotate.addEventListener('click', () =>
    confirmAction({
      title: 'Rotate the signing key?',
      text: 'A new key signs tokens from the next request on. The current key is retired: it stays published in the JWKS while tokens it signed can still be valid, so nothing stops working.',
      confirmLabel: 'Rotate signing key',
      action: async () => {
        const result = await send<{ kid: string }>('POST', 'keys/rotate');
        notice(`Rotated: ${result.kid} now signs new tokens`);
        await load();
      },
    }),
  );

  view.append(
    pageHeading('Signing keys', rotate),
    h(
      'p',
      { class: 'lead' },
      'Tokens are signed with the current key (EdDSA, Ed25519). Resource servers find the public keys in the ',
      h('a', { href: '.well-known/jwks.json' }, 'JWKS'),
      '; retired keys stay there while tokens they signed can still be valid.',
    ),
    results,
  );
  void load();
  return view;
}
