// Pieces every screen uses: headings, loading/empty/error states, the notice line, dialogs,
// the scope checkboxes and the one-time secret panel.
import { type Credentials, messageOf, type Scope } from './api.ts';
import { type Child, copyText, EXPIRATIONS, h, uid } from './dom.ts';

/** The screen's heading, focused when the screen opens (so keyboard and screen reader users land there). */
export function pageHeading(text: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', id: 'page-title' }, text), ...extra);
}

/** A loading state (announced politely). */
export function loading(what: string): HTMLElement {
  return h(
    'div',
    { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    `Loading ${what}…`,
  );
}

/** An empty state: a title and a hint. */
export function empty(title: string, hint: string): HTMLElement {
  return h('div', { class: 'state state-empty' }, h('p', { class: 'state-title' }, title), h('p', {}, hint));
}

/** An error state with a retry button. */
export function failed(what: string, error: unknown, retry: () => void): HTMLElement {
  return h(
    'div',
    { class: 'state state-error', role: 'alert' },
    h('p', { class: 'state-title' }, `Could not load ${what}`),
    h('p', {}, messageOf(error)),
    h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again'),
  );
}

/** An inline error line for a form or an action (empty until `show`). */
export function errorLine(): { element: HTMLElement; show(error: unknown): void; clear(): void } {
  const element = h('p', { class: 'form-error', role: 'alert', hidden: true });
  return {
    element,
    show(error) {
      element.textContent = messageOf(error);
      element.hidden = false;
    },
    clear() {
      element.textContent = '';
      element.hidden = true;
    },
  };
}

/** The page-wide notice line (success messages), a polite live region. */
const noticeRegion = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
let noticeTimer = 0;
export function noticeElement(): HTMLElement {
  return noticeRegion;
}
export function notice(text: string): void {
  window.clearTimeout(noticeTimer);
  noticeRegion.replaceChildren(h('span', { class: 'notice-text' }, text));
  noticeRegion.classList.add('notice-shown');
  noticeTimer = window.setTimeout(() => {
    noticeRegion.classList.remove('notice-shown');
    noticeRegion.replaceChildren();
  }, 6000);
}

/** Runs `action` with `button` busy (disabled, `aria-busy`), so it cannot be sent twice. */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Opens `dialog` as a modal and removes it from the page when it closes. */
export function openDialog(
  dialog: HTMLDialogElement,
  returnTo: Element | null = document.activeElement,
): void {
  document.body.append(dialog);
  dialog.addEventListener('close', () => {
    dialog.remove();
    // Back to what opened it (when it is still on the page).
    if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
  });
  dialog.showModal();
}

/** A modal dialog: title, body, and the footer buttons. */
export function dialogShell(
  title: string,
  body: Child[],
  footer: Child[],
  danger = false,
): HTMLDialogElement {
  const titleId = uid('dialog-title');
  return h(
    'dialog',
    { class: `dialog${danger ? ' dialog-danger' : ''}`, 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'dialog-title' }, title),
    h('div', { class: 'dialog-body' }, ...body),
    h('div', { class: 'dialog-footer' }, ...footer),
  );
}

/**
 * Asks to confirm an action: `Cancel` and a button named `confirmLabel` that runs `action`
 * (errors are shown in the dialog, which stays open). What `action` returns runs once the
 * dialog has closed (e.g. opening the next one).
 */
export function confirmAction(options: {
  title: string;
  text: string;
  confirmLabel: string;
  danger?: boolean;
  action: () => Promise<unknown>;
}): void {
  const error = errorLine();
  const cancel = h('button', { type: 'button', class: 'button', autofocus: true }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'button', class: `button ${options.danger === true ? 'button-danger' : 'button-primary'}` },
    options.confirmLabel,
  );
  const dialog = dialogShell(
    options.title,
    [h('p', {}, options.text), error.element],
    [cancel, confirm],
    options.danger,
  );
  cancel.addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', () => {
    error.clear();
    void busy(confirm, options.action).then(
      (next) => {
        dialog.close();
        if (typeof next === 'function') next();
      },
      (e: unknown) => error.show(e),
    );
  });
  openDialog(dialog);
}

/** The scope checkboxes (one per catalogue scope, labelled with its name, described by its description). */
export function scopeFieldset(
  catalogue: readonly Scope[],
  checked: ReadonlySet<string>,
): { element: HTMLFieldSetElement; selected(): string[] } {
  const boxes: HTMLInputElement[] = [];
  const hintId = uid('scopes-hint');
  const items = catalogue.map(({ scope, description }) => {
    const id = uid('scope');
    const descriptionId = uid('scope-description');
    const box = h('input', {
      type: 'checkbox',
      id,
      value: scope,
      checked: checked.has(scope),
      'aria-describedby': description === undefined ? undefined : descriptionId,
    });
    boxes.push(box);
    return h(
      'div',
      { class: 'scope' },
      box,
      h(
        'div',
        { class: 'scope-text' },
        h('label', { for: id, class: 'scope-name' }, scope),
        description === undefined
          ? null
          : h('span', { id: descriptionId, class: 'scope-description' }, description),
      ),
    );
  });
  const setAll = (value: boolean) => () => {
    for (const box of boxes) box.checked = value;
  };
  const element = h(
    'fieldset',
    { class: 'field scopes', 'aria-describedby': hintId },
    h('legend', {}, 'Scopes'),
    h(
      'div',
      { class: 'scopes-head' },
      h(
        'p',
        { class: 'hint', id: hintId },
        'What the application may ask for. A token request with no scope gets all of them.',
      ),
      h(
        'div',
        { class: 'scopes-tools' },
        h('button', { type: 'button', class: 'button button-small', onclick: setAll(true) }, 'Select all'),
        h('button', { type: 'button', class: 'button button-small', onclick: setAll(false) }, 'Clear all'),
      ),
    ),
    h('div', { class: 'scope-grid' }, ...items),
  );
  return { element, selected: () => boxes.filter((box) => box.checked).map((box) => box.value) };
}

/** A labelled text field with an optional hint. */
export function textField(
  label: string,
  input: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  const id = input.id === '' ? uid('field') : input.id;
  input.id = id;
  let hintElement: HTMLElement | null = null;
  if (hint !== undefined) {
    const hintId = uid('hint');
    input.setAttribute('aria-describedby', hintId);
    hintElement = h('p', { class: 'hint', id: hintId }, hint);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintElement);
}

/** The token expiration select, with `value` selected. */
export function expirationSelect(value: string): HTMLSelectElement {
  return h(
    'select',
    { class: 'input' },
    ...EXPIRATIONS.map(([code, text]) => h('option', { value: code, selected: code === value }, text)),
  );
}

/**
 * The application ID and the secret, shown once: read-only fields labelled `Application ID` and
 * `Application secret`, each with a copy button, and the warning that the secret is not shown again.
 */
export function secretPanel(credentials: Credentials): HTMLElement {
  const status = h('p', { class: 'copy-status', role: 'status', 'aria-live': 'polite' });
  const row = (label: string, copyName: string, value: string, secret: boolean): HTMLElement => {
    const id = uid('credential');
    const field = h('input', {
      id,
      class: `input mono${secret ? ' secret-value' : ''}`,
      type: 'text',
      readonly: true,
      value,
      spellcheck: 'false',
      autocomplete: 'off',
    });
    field.addEventListener('focus', () => field.select());
    return h(
      'div',
      { class: 'field credential' },
      h('label', { for: id }, label),
      h(
        'div',
        { class: 'credential-row' },
        field,
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            'aria-label': `Copy ${copyName}`,
            onclick: () => void copyText(value, status, label, field),
          },
          'Copy',
        ),
      ),
    );
  };
  return h(
    'div',
    { class: 'secret-panel' },
    h(
      'div',
      { class: 'callout callout-warning' },
      h('p', { class: 'callout-title' }, 'Copy the secret now: it is not shown again.'),
      h(
        'p',
        {},
        'The server keeps only a hash of it. If it is lost, rotate the secret to make a new one (the old one stops working).',
      ),
    ),
    row('Application ID', 'application ID', credentials.application_id, false),
    row('Application secret', 'application secret', credentials.application_secret, true),
    status,
  );
}
