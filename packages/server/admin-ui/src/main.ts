// The admin page: sign-in with an API key, then the screens (hash routes, so the server only
// ever serves /admin): #/applications, #/applications/new, #/applications/<id>, #/keys, #/audit.
import { ApiFailure, getData, storedKey, storeKey, whenAuthLost } from './api.ts';
import { type Context, forgetCatalogue, loadCatalogue } from './context.ts';
import { h } from './dom.ts';
import { applicationScreen } from './screens/application.ts';
import { applicationsScreen } from './screens/applications.ts';
import { auditScreen } from './screens/audit.ts';
import { createScreen } from './screens/create.ts';
import { keysScreen } from './screens/keys.ts';
import { errorLine, noticeElement } from './ui.ts';

const root = document.getElementById('app')!;
const TITLE = 'Admin · SMS.CX OAuth';

const NAV = [
  ['#/applications', 'Applications'],
  ['#/keys', 'Signing keys'],
  ['#/audit', 'Audit log'],
] as const;

/** The icon the page links to, reused as the logo. */
function logo(): HTMLElement {
  const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
  return href === undefined
    ? h('span')
    : h('img', { src: href, alt: '', width: '28', height: '28', class: 'logo' });
}

/** The sign-in screen, with `message` (why the user is here) when there is one. */
function signIn(message?: string, tone: 'info' | 'error' = 'error'): void {
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  document.title = `Sign in · ${TITLE}`;
  const key = h('input', {
    type: 'password',
    class: 'input mono',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-hint',
  });
  const error = errorLine();
  const button = h('button', { type: 'submit', class: 'button button-primary button-wide' }, 'Sign in');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      key,
      h(
        'p',
        { class: 'hint', id: 'api-key-hint' },
        'Make one on the server host with ',
        h('code', {}, 'smscx-oauth-server api-keys create --name <your name>'),
        '.',
      ),
    ),
    error.element,
    button,
  );
  key.id = 'api-key';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.clear();
    const value = key.value.trim();
    if (value === '') {
      error.show(new Error('Enter an API key.'));
      key.focus();
      return;
    }
    button.disabled = true;
    getData<{ id: string; name: string }>('me', value).then(
      (me) => {
        storeKey(value);
        shell(me.name);
      },
      (e: unknown) => {
        button.disabled = false;
        error.show(
          e instanceof ApiFailure && e.kind === 'auth'
            ? new Error('This API key was refused. Check that it is complete and has not been revoked.')
            : e,
        );
        key.select();
        key.focus();
      },
    );
  });
  root.replaceChildren(
    h(
      'main',
      { class: 'signin' },
      h(
        'div',
        { class: 'signin-card card' },
        h('div', { class: 'signin-brand' }, logo(), h('span', {}, 'SMS.CX OAuth')),
        h('h1', {}, 'Sign in to the admin console'),
        h(
          'p',
          { class: 'lead' },
          'Manage applications, signing keys and the audit log of this authorization server.',
        ),
        message === undefined
          ? null
          : h(
              'p',
              { class: `callout ${tone === 'error' ? 'callout-error' : 'callout-info'}`, role: 'alert' },
              message,
            ),
        form,
        h(
          'p',
          { class: 'hint signin-note' },
          'The key stays in this browser tab only (session storage) and is sent as X-API-KEY with each request.',
        ),
      ),
    ),
  );
  key.focus();
}

let main: HTMLElement | null = null;
let navLinks: HTMLAnchorElement[] = [];

/** The signed-in layout: top bar with navigation and the key's name, then the current screen. */
function shell(who: string): void {
  navLinks = NAV.map(([href, text]) =>
    h(
      'a',
      {
        href,
        class: 'nav-link',
        // The current screen's link reloads it (no hash change, so no hashchange event).
        onclick: (event) => {
          if (location.hash === href) {
            event.preventDefault();
            route();
          }
        },
      },
      text,
    ),
  );
  main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const signOut = h('button', { type: 'button', class: 'button button-quiet' }, 'Sign out');
  signOut.addEventListener('click', () => {
    storeKey(null);
    forgetCatalogue();
    main = null;
    signIn('You are signed out.', 'info');
  });
  root.replaceChildren(
    h(
      'a',
      {
        href: '#main',
        class: 'skip-link',
        // Not a hash change: the hash is the route.
        onclick: (event) => {
          event.preventDefault();
          main?.focus();
        },
      },
      'Skip to content',
    ),
    h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'brand' },
        logo(),
        h('span', {}, 'SMS.CX OAuth'),
        h('span', { class: 'brand-tag' }, 'Admin'),
      ),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, ...navLinks),
      h(
        'div',
        { class: 'session' },
        h('span', { class: 'who' }, 'Signed in as ', h('strong', {}, who)),
        signOut,
      ),
    ),
    main,
    noticeElement(),
  );
  route();
}

const context: Context = {
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  catalogue: loadCatalogue,
};

/** Renders the screen of the current hash. */
function route(): void {
  if (main === null) return;
  const hash =
    location.hash === '' || location.hash === '#' || location.hash === '#/'
      ? '#/applications'
      : location.hash;
  let screen: HTMLElement;
  let title: string;
  let section = '#/applications';
  const application = /^#\/applications\/([^/]+)$/.exec(hash);
  if (hash === '#/applications') {
    screen = applicationsScreen(context);
    title = 'Applications';
  } else if (hash === '#/applications/new') {
    screen = createScreen(context);
    title = 'New application';
  } else if (application !== null) {
    screen = applicationScreen(context, decodeURIComponent(application[1]!));
    title = 'Application';
  } else if (hash === '#/keys') {
    screen = keysScreen(context);
    title = 'Signing keys';
    section = hash;
  } else if (hash === '#/audit') {
    screen = auditScreen(context);
    title = 'Audit log';
    section = hash;
  } else {
    screen = h(
      'section',
      { class: 'screen' },
      h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', id: 'page-title' }, 'Page not found')),
      h('p', {}, 'There is no such screen. ', h('a', { href: '#/applications' }, 'Go to the applications')),
    );
    title = 'Page not found';
  }
  for (const link of navLinks) {
    if (link.getAttribute('href') === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${title} · ${TITLE}`;
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  main.replaceChildren(screen);
  document.getElementById('page-title')?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** Where the page starts: the stored key is checked first (it may have been revoked meanwhile). */
function start(): void {
  const key = storedKey();
  if (key === null) {
    signIn();
    return;
  }
  root.replaceChildren(
    h('main', { class: 'signin' }, h('p', { class: 'state state-loading', role: 'status' }, 'Signing in…')),
  );
  getData<{ id: string; name: string }>('me').then(
    (me) => shell(me.name),
    (error: unknown) => {
      if (error instanceof ApiFailure && error.kind === 'auth') return; // whenAuthLost shows sign-in
      root.replaceChildren(
        h(
          'main',
          { class: 'signin' },
          h(
            'div',
            { class: 'signin-card card state-error', role: 'alert' },
            h('h1', {}, 'The server cannot be reached'),
            h('p', {}, error instanceof Error ? error.message : String(error)),
            h('button', { type: 'button', class: 'button button-primary', onclick: start }, 'Try again'),
          ),
        ),
      );
    },
  );
}

whenAuthLost((message) => {
  storeKey(null);
  forgetCatalogue();
  main = null;
  signIn(message);
});
window.addEventListener('hashchange', route);
start();
