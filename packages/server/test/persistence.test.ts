// State that must survive restarts, admin changes a running server must pick up, first start
// and graceful shutdown. What is about the real process (the first-start banner on its stdout,
// a restarted binary keeping its keys, `serve` refusing a wrong pepper, exit on signals) runs
// the binary and waits for its output or its exit; the rest runs in this process on the same
// kind of SQLite file: the server through startServer, the admin commands through runCli.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config/options.js';
import {
  initializeDatabase,
  type RunningServer,
  startServer as startServerInProcess,
} from '../src/server.js';
import {
  type CliResult,
  decodeJwt,
  defaultCredentials,
  requestToken,
  runInProcess,
  send,
  startServer,
  type TestApplication,
  tempDb,
} from './helpers.js';

const run = runInProcess;

async function kids(url: string): Promise<string[]> {
  const response = await send(url, { method: 'GET', path: '/.well-known/jwks.json' });
  return (response.json as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
}

async function tokenKid(url: string, app: Parameters<typeof requestToken>[1]): Promise<unknown> {
  const response = await requestToken(url, app);
  return decodeJwt((response.json as { access_token: string }).access_token).header.kid;
}

/** `apps create --json` in this process; returns its JSON output. */
async function createApplication(db: string, name = 'test'): Promise<TestApplication> {
  const result = await run(['apps', 'create', '--db', db, '--name', name, '--json']);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as TestApplication;
}

/** What `serve --db <db> --port 0` runs, started in this process; `output()` is what it printed. */
async function serveInProcess(db: string): Promise<RunningServer & { output(): string }> {
  let output = '';
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const config = resolveConfig({ db, port: '0', logLevel: 'silent' }, {});
  const server = await startServerInProcess(config, { out });
  return { ...server, output: () => output };
}

describe('first start', () => {
  it('creates the database folder, a pepper and a default application, and says how to get a token', async () => {
    const tmp = tempDb();
    try {
      const server = await startServer(tmp.db);
      const out = server.stdout();
      // stdout is a pipe, not a terminal: the secret goes to a 0600 file the banner names.
      const match =
        /^SMSCX_APPLICATION_ID=([0-9a-f]{40}) SMSCX_APPLICATION_SECRET=<application_secret from that file> npx smscx token --host (http:\/\/127\.0\.0\.1:[1-9]\d*)$/m.exec(
          out,
        );
      assert.ok(match, out);
      assert.equal(match[2], server.url);
      assert.ok(existsSync(join(dirname(tmp.db), 'pepper')));
      const credentials = defaultCredentials(out);
      assert.equal(credentials.application_id, match[1]);
      assert.equal(credentials.token_url, `${server.url}/oauth/token`);
      assert.match(
        out,
        new RegExp(`Credentials file: +${join(dirname(tmp.db), 'default-application.json')}$`, 'm'),
      );
      assert.equal(statSync(join(dirname(tmp.db), 'default-application.json')).mode & 0o777, 0o600);
      assert.ok(!out.includes(credentials.application_secret), 'the secret is not on stdout');
      const app = credentials;
      const response = await requestToken(server.url, app);
      assert.equal(response.status, 200);
      assert.equal(
        (response.json as { scope: string }).scope,
        'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp',
      );
      assert.equal(await server.stop(), 0);

      // Second start: no new default application, no banner.
      const again = await serveInProcess(tmp.db);
      try {
        assert.equal(again.output(), `listening on ${again.url}\n`);
        assert.equal((await requestToken(again.url, app)).status, 200);
        const list = await run(['apps', 'list', '--db', tmp.db, '--json']);
        assert.equal(list.status, 0, list.stderr);
        assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);
      } finally {
        await again.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('restart', () => {
  it('keeps applications and signing keys: same kid, old credentials still work', async () => {
    const tmp = tempDb();
    try {
      const app = await createApplication(tmp.db);
      const first = await startServer(tmp.db);
      const kidBefore = await kids(first.url);
      assert.equal(kidBefore.length, 1);
      assert.equal(await tokenKid(first.url, app), kidBefore[0]);
      assert.equal(await first.stop(), 0);

      const second = await startServer(tmp.db);
      assert.deepEqual(await kids(second.url), kidBefore);
      assert.equal(await tokenKid(second.url, app), kidBefore[0]);
      assert.equal(await second.stop(), 0);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses to start with a missing pepper file (the database has data made with its pepper)', async () => {
    const tmp = tempDb();
    try {
      // The first-start work (in this process) makes the signing key, encrypted under the
      // default pepper file next to the database.
      await initializeDatabase(resolveConfig({ db: tmp.db }, {}));
      // A server that starts anyway is stopped before the assertion fails, so it cannot keep the
      // test process (and CI) waiting forever. The helper rejects once the process has exited.
      const started = startServer(tmp.db, [], { SMSCX_PEPPER_FILE: join(tmp.dir, 'other-pepper') });
      await assert.rejects(
        started.then(async (server) => {
          await server.stop();
          return server;
        }),
        /server exited with 1: [\s\S]*missing pepper file/,
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('admin changes reach a running server', () => {
  it('create, disable, enable, rotate-secret, delete, keys rotate', async () => {
    const tmp = tempDb();
    const server = await serveInProcess(tmp.db);
    try {
      const status = async (app: Parameters<typeof requestToken>[1]): Promise<number> =>
        (await requestToken(server.url, app)).status;
      // Runs an admin command: it returns once the running server serves the change.
      const admin = async (args: string[]): Promise<CliResult> => {
        const result = await run([...args, '--db', tmp.db]);
        assert.equal(result.status, 0, result.stderr);
        return result;
      };

      const app = await createApplication(tmp.db, 'live');
      assert.equal(await status(app), 200, 'created app works');

      await admin(['apps', 'disable', app.application_id]);
      assert.equal(await status(app), 403, 'disabled app gets 403');

      await admin(['apps', 'enable', app.application_id]);
      assert.equal(await status(app), 200, 'enabled app works again');

      const rotated = JSON.parse(
        (await admin(['apps', 'rotate-secret', app.application_id, '--json'])).stdout,
      ) as {
        application_secret: string;
      };
      const renewed = { ...app, application_secret: rotated.application_secret };
      assert.equal(await status(renewed), 200, 'new secret works');
      assert.equal(await status(app), 401, 'old secret no longer works');

      const kidBefore = await kids(server.url);
      const rotation = JSON.parse(
        (await admin(['keys', 'rotate', '--publish-ahead', '0', '--json'])).stdout,
      ) as { kid: string };
      assert.equal(await tokenKid(server.url, renewed), rotation.kid, 'new tokens use the new key');
      const published = await kids(server.url);
      assert.ok(published.includes(rotation.kid));
      assert.ok(published.includes(kidBefore[0]!), 'the retired key stays in the JWKS');

      await admin(['apps', 'delete', app.application_id]);
      assert.equal(await status(renewed), 401, 'deleted app gets 401');
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });
});

describe('shutdown', () => {
  it('SIGTERM and SIGINT exit 0', async () => {
    const tmp = tempDb();
    try {
      const server = await startServer(tmp.db);
      assert.equal(await server.stop(), 0, server.stderr());
      const again = await startServer(tmp.db);
      const exited = new Promise<number | null>((resolve) =>
        again.process.once('exit', (code, signal) => resolve(code ?? (signal as unknown as number))),
      );
      again.process.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      tmp.cleanup();
    }
  });
});
