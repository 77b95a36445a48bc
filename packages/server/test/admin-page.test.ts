// The admin web page at /admin (issue 15) in a real browser: Debian's Chromium driven by
// playwright-core, against the real binary on a real SQLite file. Every action is taken through
// the page with the accessible names people and tests rely on, and its effect is checked from
// outside (token requests with Basic auth, the admin API); each screen is scanned with axe-core
// (no serious or critical violation), the page's security headers are asserted, and the browser
// reports no CSP violation. SMSCX_SCREENSHOTS=1 also writes docs/admin-*.png (the README's).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { ADMIN_PAGE_CSP } from '../src/routes/admin-page.js';
import {
  basic,
  cli,
  envelope,
  FORM,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestServer,
  tempDb,
} from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.SMSCX_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.SMSCX_SCREENSHOTS === '1';
const DOCS = resolve(here, '..', '..', '..', 'docs');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** `text` as a literal in a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Credentials {
  readonly application_id: string;
  readonly application_secret: string;
}

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
}

describe('admin page (/admin) in Chromium', { timeout: 180_000 }, () => {
  const { db, cleanup } = tempDb();
  let apiKey = '';
  let apiKeyId = '';
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];
  const pageErrors: string[] = [];

  /** Makes an API key with the command line (as an operator would). */
  function makeApiKey(name: string): { id: string; api_key: string } {
    const result = cli(['api-keys', 'create', '--db', db, '--name', name, '--json']);
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout) as { id: string; api_key: string };
  }

  /** A call of the admin REST API with the test's key. */
  function adminApi(method: string, path: string, body?: unknown): Promise<RawResponse> {
    return send(server.url, {
      method,
      path: `/admin/v1/${path}`,
      headers: {
        'x-api-key': apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** Waits until `locator` is visible. */
  async function visible(locator: Locator): Promise<Locator> {
    await locator.waitFor({ state: 'visible' });
    return locator;
  }

  /** The screen's heading (h1) once it reads `name`. */
  function heading(name: string): Promise<Locator> {
    return visible(page.getByRole('heading', { level: 1, name, exact: true }));
  }

  /** Runs axe-core on the page: no serious or critical violation. */
  async function scan(screen: string): Promise<void> {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected
    // <script> would be refused, as it should be), so the page is scanned as it is served.
    if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
    const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`)) as AxeViolation[];
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad, [], `${screen}: accessibility violations\n${JSON.stringify(bad, null, 2)}`);
  }

  /** With SMSCX_SCREENSHOTS=1: docs/admin-<name>.png. */
  async function screenshot(name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(DOCS, { recursive: true });
    // The notice toast and the caret are transient: not in the pictures.
    await page.evaluate(`document.querySelector('.notice')?.replaceChildren()`);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(DOCS, `admin-${name}.png`), fullPage: true, caret: 'hide' });
  }

  /** The text of `locator` (DOM text: visually hidden text included, no layout). */
  async function text(locator: Locator): Promise<string> {
    return (await locator.textContent()) ?? '';
  }

  /** A link of the main navigation. */
  function nav(name: string): Locator {
    return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  }

  /** The rows of the visible table's body. */
  function rows(): Locator {
    return page.locator('table tbody tr');
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    const key = makeApiKey('Ops console');
    apiKey = key.api_key;
    apiKeyId = key.id;
    server = await startServer(db);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    // What the page's CSP refuses is reported to the page; keep a record (init scripts run
    // through the DevTools protocol, outside the CSP).
    await context.addInitScript(
      `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
    );
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error' && /content.security.policy|trusted.?type/i.test(message.text())) {
        cspErrors.push(message.text());
      }
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    cleanup();
  });

  it('serves the page and its hashed assets with a strict CSP and the security headers', async () => {
    const response = await send(server.url, { method: 'GET', path: '/admin' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    const csp = response.headers['content-security-policy'];
    assert.equal(csp, ADMIN_PAGE_CSP);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(String(csp).split('; ').includes(directive), directive);
    }
    assert.doesNotMatch(String(csp), /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cache-control'], 'no-cache');
    // No inline script or style in the page itself.
    assert.doesNotMatch(response.body, /<script>|<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=/);

    const etag = String(response.headers.etag);
    const again = await send(server.url, {
      method: 'GET',
      path: '/admin',
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304);
    const head = await send(server.url, { method: 'HEAD', path: '/admin' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');

    const assets = [...response.body.matchAll(/(?:src|href)="(admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 3, 'the script, the stylesheet and the icon');
    const types: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      svg: 'image/svg+xml',
    };
    for (const asset of assets) {
      assert.match(asset, /^admin\/assets\/[a-z]+-[A-Za-z0-9]{8}\.(js|css|svg)$/, 'a content-hashed name');
      const file = await send(server.url, { method: 'GET', path: `/${asset}` });
      assert.equal(file.status, 200, asset);
      assert.equal(file.headers['content-type'], types[asset.split('.').pop()!]);
      assert.equal(file.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(file.headers['x-content-type-options'], 'nosniff');
    }

    const slash = await send(server.url, { method: 'GET', path: '/admin/' });
    assert.equal(slash.status, 308);
    assert.equal(new URL(String(slash.headers.location), `${server.url}/admin/`).pathname, '/admin');
    const unknown = await send(server.url, { method: 'GET', path: '/admin/assets/nope-12345678.js' });
    assert.equal(unknown.status, 404);
    assert.equal(envelope(unknown).type, 'not_found');
    const post = await send(server.url, { method: 'POST', path: '/admin' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    // The REST API under it is unchanged: still its own key check.
    assert.equal((await send(server.url, { method: 'GET', path: '/admin/v1/me' })).status, 401);
  });

  it('refuses a wrong API key, then signs in from the keyboard', async () => {
    // The server made a `default` application on its first start: delete it, so the page starts
    // empty (the empty state).
    const existing = (await adminApi('GET', 'applications')).json as { data: Credentials[] };
    for (const app of existing.data) {
      assert.equal((await adminApi('DELETE', `applications/${app.application_id}`)).status, 204);
    }
    await page.goto(`${server.url}/admin`);
    const field = await visible(page.getByLabel('API key', { exact: true }));
    await heading('Sign in to the admin console');
    await scan('sign-in');
    await screenshot('sign-in');

    await field.fill(`ak_000000000000.${'A'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = await visible(page.getByRole('alert'));
    assert.match(await text(alert), /This API key was refused/);
    await scan('sign-in with an error');
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'a refused key is not kept');

    // Keyboard: the field is focused again; Tab reaches the button with a visible focus ring.
    await field.fill(apiKey);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Sign in');
    assert.equal(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'solid');
    await page.keyboard.press('Enter');
    await heading('Applications');
    await visible(page.getByText('No applications yet'));
    await visible(page.getByText('Signed in as Ops console'));
    assert.equal(
      await page.evaluate('Object.keys(sessionStorage).length'),
      1,
      'the key is in sessionStorage',
    );
    assert.equal(await page.evaluate('document.cookie'), '', 'and in no cookie');
    await scan('applications (empty)');
  });

  let billing: Credentials;
  let billingToken = '';

  it('creates an application and shows its ID and secret once; the secret gets a token', async () => {
    await page.getByRole('button', { name: 'New application', exact: true }).click();
    await heading('New application');
    await page.getByLabel('Name', { exact: true }).fill('billing');
    for (const scope of ['sms', 'groups', 'reports']) {
      await page.getByRole('checkbox', { name: scope, exact: true }).check();
    }
    await page.getByLabel('Token expiration', { exact: true }).selectOption('1w');
    // Each checkbox is described by the scope's description from the catalogue.
    assert.match(
      String(
        await page.getByRole('checkbox', { name: 'groups', exact: true }).getAttribute('aria-describedby'),
      ),
      /scope-description/,
    );
    await visible(page.getByText('Manage contact groups and their contacts'));
    await scan('new application');
    await screenshot('create');

    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading('Application created');
    await visible(page.getByText('Copy the secret now: it is not shown again.'));
    const idField = page.getByLabel('Application ID', { exact: true });
    const secretField = page.getByLabel('Application secret', { exact: true });
    assert.equal(await idField.isEditable(), false, 'read-only');
    assert.equal(await secretField.isEditable(), false, 'read-only');
    billing = {
      application_id: await idField.inputValue(),
      application_secret: await secretField.inputValue(),
    };
    assert.match(billing.application_id, /^[0-9a-f]{40}$/);
    await visible(page.getByRole('button', { name: 'Copy application ID' }));
    await page.getByRole('button', { name: 'Copy application secret' }).click();
    await visible(page.getByText('Application secret copied to the clipboard'));
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), billing.application_secret);
    await scan('application created');
    await screenshot('created');

    const token = await requestToken(server.url, billing);
    assert.equal(token.status, 200, token.body);
    const body = token.json as { access_token: string; scope: string; expires_in: number };
    assert.equal(body.scope, 'sms groups reports');
    assert.equal(body.expires_in, 604_800);
    billingToken = body.access_token;
    // The secret is nowhere but on that screen: the API never shows it again.
    const view = await adminApi('GET', `applications/${billing.application_id}`);
    assert.ok(!view.body.includes(billing.application_secret));
  });

  it('edits the scopes: a token request for a removed scope is refused', async () => {
    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await heading('billing');
    await page.getByRole('checkbox', { name: 'groups', exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(page.getByText('Saved the settings of billing'));
    const refused = await requestToken(server.url, billing, 'grant_type=client_credentials&scope=groups');
    assert.equal(refused.status, 400, refused.body);
    assert.equal(envelope(refused).type, 'invalid_scope');
    const allowed = await requestToken(server.url, billing, 'grant_type=client_credentials&scope=sms');
    assert.equal(allowed.status, 200, allowed.body);
    await scan('application');
    await screenshot('application');
  });

  it('disables (403) and enables the application', async () => {
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await visible(page.getByRole('button', { name: 'Enable', exact: true }));
    const refused = await requestToken(server.url, billing);
    assert.equal(refused.status, 403, refused.body);
    assert.equal(envelope(refused).type, 'access_denied');
    await visible(page.locator('.facts').getByText('Disabled', { exact: true }));

    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await visible(page.getByRole('button', { name: 'Disable', exact: true }));
    assert.equal((await requestToken(server.url, billing)).status, 200);
  });

  it('rotates the secret (shown once; the old one is refused) and revokes the tokens', async () => {
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    const confirm = await visible(page.getByRole('dialog', { name: 'Rotate the secret of billing?' }));
    await scan('rotate secret confirmation');
    await confirm.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    const shown = await visible(page.getByRole('dialog', { name: 'New secret for billing' }));
    const secret = await shown.getByLabel('Application secret', { exact: true }).inputValue();
    assert.equal(
      await shown.getByLabel('Application ID', { exact: true }).inputValue(),
      billing.application_id,
    );
    assert.notEqual(secret, billing.application_secret);
    await scan('new secret');

    const old = await requestToken(server.url, billing);
    assert.equal(old.status, 401, old.body);
    assert.equal(envelope(old).type, 'invalid_client');
    billing = { ...billing, application_secret: secret };
    const fresh = await requestToken(server.url, billing);
    assert.equal(fresh.status, 200, fresh.body);
    const token = (fresh.json as { access_token: string }).access_token;
    await shown.getByRole('button', { name: 'I have copied the secret' }).click();
    await visible(page.locator('.facts').getByText(secret.slice(-4)));

    const introspect = async (candidate: string): Promise<boolean> => {
      const answer = await send(server.url, {
        path: '/oauth/introspect',
        headers: {
          authorization: basic(billing.application_id, billing.application_secret),
          'content-type': FORM,
        },
        body: `token=${encodeURIComponent(candidate)}`,
      });
      assert.equal(answer.status, 200, answer.body);
      return (answer.json as { active: boolean }).active;
    };
    assert.equal(await introspect(token), true);
    assert.equal(await introspect(billingToken), true, 'a token of the old secret stays valid');
    await page.getByRole('button', { name: 'Revoke tokens', exact: true }).click();
    const revoke = await visible(page.getByRole('dialog', { name: 'Revoke every token of billing?' }));
    await revoke.getByRole('button', { name: 'Revoke tokens', exact: true }).click();
    await visible(page.getByText('Revoked the tokens of billing'));
    assert.equal(await introspect(token), false);
    assert.equal(await introspect(billingToken), false);
    assert.equal((await requestToken(server.url, billing)).status, 200, 'new tokens can be requested');
  });

  it('rotates with a grace period: both secrets work and are listed; Revoke secret ends the old one', async () => {
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    const confirm = await visible(page.getByRole('dialog', { name: 'Rotate the secret of billing?' }));
    await confirm.getByLabel('The current secret keeps working', { exact: true }).selectOption('24h');
    await scan('rotate secret with a grace period');
    await confirm.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    const shown = await visible(page.getByRole('dialog', { name: 'New secret for billing' }));
    const old = billing;
    billing = {
      ...billing,
      application_secret: await shown.getByLabel('Application secret', { exact: true }).inputValue(),
    };
    assert.notEqual(billing.application_secret, old.application_secret);
    assert.equal(
      (await requestToken(server.url, old)).status,
      200,
      'the old secret works in its grace period',
    );
    assert.equal((await requestToken(server.url, billing)).status, 200);
    await shown.getByRole('button', { name: 'I have copied the secret' }).click();
    await visible(
      page.getByText(
        /Rotated the secret of billing: the old one works until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
      ),
    );

    // The secrets, current first: hint, ID, created, last used, until when each works.
    const table = page.getByRole('table', { name: 'Secrets of billing, current first', exact: true });
    await visible(table.getByText(billing.application_secret.slice(-4)));
    const listed = (
      (await adminApi('GET', `applications/${billing.application_id}`)).json as {
        data: { secrets: Array<{ id: string; hint: string; expires_at: string | null }> };
      }
    ).data.secrets;
    assert.equal(listed.length, 2);
    const tableRows = table.locator('tbody tr');
    assert.equal(await tableRows.count(), 2);
    assert.deepEqual(
      (await table.locator('thead th').allTextContents()).map((text) => text.toLowerCase()),
      ['secret', 'secret id', 'created', 'last used', 'works until', 'action'],
    );
    const currentRow = await text(tableRows.first());
    assert.match(currentRow, new RegExp(`ending in\\s*${literal(billing.application_secret.slice(-4))}`));
    assert.match(currentRow, new RegExp(`${listed[0]!.id}[\\s\\S]*UTC[\\s\\S]*Not yet[\\s\\S]*Current`));
    const oldRow = await text(tableRows.nth(1));
    assert.match(oldRow, new RegExp(`ending in\\s*${literal(old.application_secret.slice(-4))}`));
    const until = listed[1]!.expires_at!.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
    assert.ok(oldRow.includes(listed[1]!.id) && oldRow.includes(until), `${oldRow} (until ${until})`);
    await scan('application with two secrets');
    await screenshot('secrets');

    // No third secret: the rotation says to revoke the old one first.
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    const blocked = await visible(page.getByRole('dialog', { name: 'Rotate the secret of billing?' }));
    await visible(blocked.getByText('It already has two secrets.'));
    assert.equal(
      await blocked.getByRole('button', { name: 'Rotate secret', exact: true }).isDisabled(),
      true,
    );
    await blocked.getByRole('button', { name: 'Cancel', exact: true }).click();

    await page.getByRole('button', { name: 'Revoke secret', exact: true }).click();
    const revoke = await visible(page.getByRole('dialog', { name: 'Revoke the old secret of billing?' }));
    await scan('revoke secret confirmation');
    await revoke.getByRole('button', { name: 'Revoke secret', exact: true }).click();
    await visible(page.getByText('Revoked the old secret of billing: it no longer works'));
    assert.equal(await tableRows.count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Revoke secret', exact: true }).count(), 0);
    const refused = await requestToken(server.url, old);
    assert.equal(refused.status, 401, 'in force when the page says so');
    assert.equal(envelope(refused).type, 'invalid_client');
    assert.equal((await requestToken(server.url, billing)).status, 200);
  });

  it('deletes the application after its name is typed', async () => {
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Delete billing?' }));
    const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
    const typed = dialog.getByLabel('Type the application name to confirm', { exact: true });
    await typed.fill('billin');
    assert.equal(await confirm.isDisabled(), true, 'not until the name is typed');
    await typed.fill('billing');
    assert.equal(await confirm.isDisabled(), false);
    await scan('delete confirmation');
    await confirm.click();
    await heading('Applications');
    await visible(page.getByText('No applications yet'));
    const gone = await requestToken(server.url, billing);
    assert.equal(gone.status, 401, gone.body);
    assert.equal((await adminApi('GET', `applications/${billing.application_id}`)).status, 404);
  });

  it('lists the applications with their columns, and searches them', async () => {
    const made: Record<string, string> = {};
    for (const [name, scopes, token_expiration] of [
      ['reporting-dashboard', 'reports', '1d'],
      ['crm-sync', 'sms whatsapp viber conversations groups', '1d'],
      [
        'marketing-campaigns',
        'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp',
        'never',
      ],
      ['otp-service', 'sms otp', '1w'],
    ] as const) {
      const created = await adminApi('POST', 'applications', { name, scopes, token_expiration });
      assert.equal(created.status, 201, created.body);
      made[name] = (created.json as { data: Credentials }).data.application_id;
    }
    assert.equal((await adminApi('POST', `applications/${made['reporting-dashboard']}/disable`)).status, 200);

    await nav('Applications').click();
    await heading('Applications');
    await visible(page.getByRole('link', { name: 'otp-service' }));
    assert.equal(await rows().count(), 4);
    const head = await page.locator('table thead th').allTextContents();
    assert.deepEqual(
      head.map((text) => text.toLowerCase()),
      ['name', 'application id', 'scopes', 'token expiration', 'status', 'created', 'secret'],
    );
    const first = await text(rows().first());
    assert.match(first, /otp-service/, 'newest first');
    assert.match(first, new RegExp(made['otp-service']!));
    assert.match(first, /1 week/);
    assert.match(first, /Active/);
    assert.match(first, /UTC/);
    assert.match(first, /••••\s*ending in\s*\S{4}$/, 'the secret hint');
    assert.match(
      await text(rows().filter({ hasText: 'marketing-campaigns' })),
      /All scopes \(14\)[\s\S]*Never/,
    );
    assert.match(await text(rows().filter({ hasText: 'reporting-dashboard' })), /Disabled/);
    await scan('applications');
    await screenshot('applications');

    await page.getByLabel('Search', { exact: true }).fill('CRM');
    await visible(page.getByText('1 application matches “CRM”'));
    assert.equal(await rows().count(), 1);
    assert.match(await text(rows().first()), /crm-sync/);
    const prefix = made['otp-service']!.slice(0, 10);
    await page.getByLabel('Search', { exact: true }).fill(prefix);
    await visible(page.getByText(`1 application matches “${prefix}”`));
    assert.match(await text(rows().first()), /otp-service/);
    await page.getByLabel('Search', { exact: true }).fill('no such thing');
    await visible(page.getByText('No application matches this search'));
    await scan('applications (no match)');
    await page.getByLabel('Search', { exact: true }).fill('');
    await visible(page.getByText('4 applications'));
  });

  it('shows the signing keys, announces a new one before it signs, and rotates one at once', async () => {
    await nav('Signing keys').click();
    await heading('Signing keys');
    const badge = (state: string): Locator => page.locator('table .badge', { hasText: state });
    type KeyView = { kid: string; alg: string; state: string; created_at: string; activates_at: string };
    const listKeys = async (): Promise<KeyView[]> =>
      ((await adminApi('GET', 'keys')).json as { data: KeyView[] }).data;
    const app = (await adminApi('POST', 'applications', { name: 'after-rotation', scopes: 'sms' })).json as {
      data: Credentials;
    };
    /** The header of a new token. */
    const tokenHeader = async (): Promise<{ kid: string; alg: string }> => {
      const token = (await requestToken(server.url, app.data)).json as { access_token: string };
      return JSON.parse(Buffer.from(token.access_token.split('.')[0]!, 'base64url').toString()) as {
        kid: string;
        alg: string;
      };
    };
    await visible(badge('Current'));
    assert.equal(await rows().count(), 1);
    const [first] = await listKeys();

    // Rotate with the defaults: EdDSA, in the JWKS now, signing in 10 minutes.
    await page.getByRole('button', { name: 'Rotate signing key', exact: true }).click();
    let dialog = await visible(page.getByRole('dialog', { name: 'Rotate the signing key?' }));
    assert.equal(await dialog.getByLabel('Algorithm').inputValue(), 'EdDSA');
    assert.equal(await dialog.getByLabel('Start signing').inputValue(), '');
    assert.match(await text(dialog.getByLabel('Start signing')), /In 10 minutes \(the default\)/);
    await scan('signing keys (rotation dialog)');
    await dialog.getByRole('button', { name: 'Rotate signing key', exact: true }).click();
    await visible(badge('Next'));
    assert.equal(await rows().count(), 2);
    let keys = await listKeys();
    assert.deepEqual(
      keys.map((key) => [key.kid, key.state]),
      [
        [keys[0]!.kid, 'next'],
        [first!.kid, 'current'],
      ],
    );
    const next = keys[0]!;
    assert.equal(Date.parse(next.activates_at) - Date.parse(next.created_at), 10 * 60_000);
    assert.match(await text(rows().first()), new RegExp(`${next.kid}[\\s\\S]*EdDSA[\\s\\S]*Next`));
    // Its activation time, to the second, in the "Signs from" column.
    const signsFrom = rows().first().locator('td').nth(3).locator('time');
    assert.equal(await signsFrom.getAttribute('datetime'), next.activates_at);
    assert.match(await text(signsFrom), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    const jwks = (await send(server.url, { method: 'GET', path: '/.well-known/jwks.json' })).json as {
      keys: Array<{ kid: string }>;
    };
    assert.deepEqual(jwks.keys.map((key) => key.kid).sort(), [first!.kid, next.kid].sort());
    assert.equal((await tokenHeader()).kid, first!.kid, 'the current key signs until the activation');
    await scan('signing keys (next key)');
    await screenshot('keys-next');

    // Rotate at once to ES256 (the emergency path): the waiting key is replaced and never signs.
    await page.getByRole('button', { name: 'Rotate signing key', exact: true }).click();
    dialog = await visible(page.getByRole('dialog', { name: 'Rotate the signing key?' }));
    await dialog.getByLabel('Algorithm').selectOption('ES256');
    await dialog.getByLabel('Start signing').selectOption('0');
    await visible(dialog.getByText('For a key that must stop signing now.'));
    await dialog.getByRole('button', { name: 'Rotate signing key', exact: true }).click();
    await rows().nth(2).waitFor();
    await badge('Next').waitFor({ state: 'detached' });
    keys = await listKeys();
    assert.deepEqual(
      keys.map((key) => [key.kid, key.state]),
      [
        [keys[0]!.kid, 'current'],
        [next.kid, 'retired'],
        [first!.kid, 'retired'],
      ],
    );
    assert.equal(keys[0]!.alg, 'ES256');
    assert.match(await text(rows().first()), new RegExp(`${keys[0]!.kid}[\\s\\S]*ES256[\\s\\S]*Current`));
    assert.match(
      await text(rows().nth(1)),
      new RegExp(`${next.kid}[\\s\\S]*Retired[\\s\\S]*Never \\(replaced\\)`),
    );
    assert.match(await text(rows().nth(2)), new RegExp(`${first!.kid}[\\s\\S]*Retired`));
    // New tokens are signed with the new key at once.
    assert.deepEqual(await tokenHeader(), { alg: 'ES256', typ: 'at+jwt', kid: keys[0]!.kid });
    await scan('signing keys');
    await screenshot('keys');
  });

  it('reads the audit entries of all of it, a page at a time', async () => {
    await nav('Audit log').click();
    await heading('Audit log');
    await visible(page.locator('table tbody tr').first());
    const logText = await text(page.locator('table'));
    const billingRows = await rows().filter({ hasText: billing.application_id }).allTextContents();
    const actions = await rows()
      .filter({ hasText: billing.application_id })
      .locator('td:nth-child(3)')
      .allTextContents();
    assert.deepEqual(actions, [
      'application.delete',
      'application.revoke_secret',
      'application.rotate_secret',
      'application.revoke_tokens',
      'application.rotate_secret',
      'application.enable',
      'application.disable',
      'application.update',
      'application.create',
    ]);
    for (const row of billingRows) assert.match(row, /API key “Ops console”/);
    assert.match(logText, /signing_key\.rotate/);
    assert.match(await text(rows().filter({ hasText: 'api_key.create' })), /Command line \(.+\)/);
    assert.ok(!logText.includes(billing.application_secret), 'no secret in the log');
    await scan('audit log');
    await screenshot('audit');

    // More than a page: the next one comes with "Load older entries".
    const app = (await adminApi('POST', 'applications', { name: 'churn', scopes: 'sms' })).json as {
      data: Credentials;
    };
    for (let i = 0; i < 44; i += 1) {
      const patched = await adminApi('PATCH', `applications/${app.data.application_id}`, {
        token_expiration: i % 2 === 0 ? '1w' : '1d',
      });
      assert.equal(patched.status, 200, patched.body);
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await visible(page.getByText('50 entries shown'));
    assert.equal(await rows().count(), 50);
    await page.getByRole('button', { name: 'Load older entries' }).click();
    await visible(page.getByText(/entries shown \(all of them\)/));
    const total = await rows().count();
    assert.ok(total > 50, `${total} rows`);
    const all = (await adminApi('GET', 'audit?limit=500')).json as { data: unknown[] };
    assert.equal(total, all.data.length, 'every entry, once');
    assert.equal(await page.getByRole('button', { name: 'Load older entries' }).count(), 0);
  });

  it('goes back to sign-in with a message when the key is revoked', async () => {
    const revoked = cli(['api-keys', 'revoke', '--db', db, apiKeyId]);
    assert.equal(revoked.status, 0, revoked.stderr);
    await nav('Applications').click();
    await heading('Sign in to the admin console');
    assert.match(await text(page.getByRole('alert').first()), /API key was refused/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
  });

  it('shows a visible error when the server is down', async () => {
    const other = makeApiKey('On call');
    await page.getByLabel('API key', { exact: true }).fill(other.api_key);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading('Applications');
    await visible(page.getByRole('link', { name: 'otp-service' }));
    assert.deepEqual(
      await page.evaluate('window.__csp'),
      [],
      'no CSP violation reported to the page (axe included)',
    );
    await server.stop();
    await nav('Signing keys').click();
    await heading('Signing keys');
    const alert = await visible(page.getByRole('alert'));
    assert.match(await text(alert), /Could not load the signing keys[\s\S]*Cannot reach the server/);
    await visible(page.getByRole('button', { name: 'Try again' }));
    await scan('server down');
  });

  it('logged no CSP violation and no script error in the browser', () => {
    assert.deepEqual(cspErrors, []);
    assert.deepEqual(pageErrors, []);
  });
});
