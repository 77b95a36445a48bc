// Building the page with the DOM only: no HTML strings anywhere (the page's CSP enforces Trusted
// Types with no policy, so innerHTML and friends would throw), so no markup injection either.

/** What an element may hold: nodes, text (set as text, never parsed), nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes (set with setAttribute; `true` sets an empty one, `false`/null/undefined none) and `on<event>` listeners. */
export type Attributes = Record<
  string,
  string | number | boolean | null | undefined | ((event: Event) => void)
>;

/** Creates `<tag>` with `attributes` and `children`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends `children` to `parent` (strings as text nodes). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An ID unique on the page, for label/field and aria-describedby pairs. */
let nextId = 0;
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-05-01 10:00 UTC` (with `:ss` when `seconds`), in a `<time>` element; `—` for null. */
export function time(iso: string | null, seconds = false): Node {
  if (iso === null) return document.createTextNode('—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return document.createTextNode(iso);
  const text =
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''} UTC`;
  return h('time', { datetime: iso }, text);
}

/** The names of the token lifetimes. */
export const EXPIRATIONS = [
  ['1d', '1 day'],
  ['1w', '1 week'],
  ['never', 'Never (tokens do not expire)'],
] as const;

/** `1 day`, `1 week`, `Never` for `1d`, `1w`, `never`. */
export function expirationText(value: string): string {
  if (value === 'never') return 'Never';
  return EXPIRATIONS.find(([code]) => code === value)?.[1] ?? value;
}

/** A status badge: `Active` or `Disabled`. */
export function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { class: `badge ${status === 'active' ? 'badge-ok' : 'badge-off'}` },
    status === 'active' ? 'Active' : 'Disabled',
  );
}

/** A masked secret hint: `••••Zx9Q` (`••••` alone for an old secret with no hint). */
export function secretHint(hint: string | null): HTMLElement {
  return h(
    'span',
    { class: 'mono secret-hint' },
    h('span', { 'aria-hidden': 'true' }, '••••'),
    h('span', { class: 'visually-hidden' }, hint === null ? 'hidden' : 'ending in '),
    hint ?? '',
  );
}

/**
 * Copies `text` to the clipboard (the async API where the page is a secure context, else the
 * selection of `field`), then says so in `status`.
 */
export async function copyText(text: string, status: HTMLElement, what: string, field?: HTMLInputElement) {
  let copied = false;
  try {
    if (navigator.clipboard !== undefined && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      copied = true;
    }
  } catch {
    // no permission: fall back to the selection
  }
  if (!copied && field !== undefined) {
    field.focus();
    field.select();
    copied = document.execCommand('copy');
  }
  status.textContent = copied
    ? `${what} copied to the clipboard`
    : `Select the ${what.toLowerCase()} and copy it`;
}
