// Secrets never reach a log line, even at the most verbose level.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildApp } from '../src/app.js';
import { loadOrCreatePepper } from '../src/domain/secrets.js';
import { createLogger } from '../src/logger.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { basic, createApplication, FORM, requestToken, send, startServer, tempDb } from './helpers.js';

describe('logging', () => {
  it('logs requests at debug level without secrets or Authorization values', async () => {
    const tmp = tempDb();
    try {
      const app = createApplication(tmp.db);
      const server = await startServer(tmp.db, ['--log-level', 'trace']);
      const authorization = basic(app.application_id, app.application_secret);
      const wrongSecret = `${app.application_secret}-wrong`;
      const wrongAuthorization = basic(app.application_id, wrongSecret);

      assert.equal((await requestToken(server.url, app)).status, 200);
      assert.equal((await requestToken(server.url, { ...app, application_secret: wrongSecret })).status, 401);
      const bodySecret = await send(server.url, {
        headers: { authorization, 'content-type': FORM },
        body: `grant_type=client_credentials&client_secret=${app.application_secret}`,
      });
      assert.equal(bodySecret.status, 400);
      const huge = await send(server.url, {
        headers: { authorization, 'content-type': FORM },
        body: `client_secret=${app.application_secret}&${'a'.repeat(20_000)}`,
      });
      assert.equal(huge.status, 413);
      await send(server.url, { method: 'GET', headers: { authorization } });
      await send(server.url, {
        method: 'GET',
        path: `/${app.application_secret}`,
        headers: { authorization },
      });
      assert.equal(await server.stop(), 0);

      const logs = server.stdout() + server.stderr();
      // The log is real: one debug line per request, with status codes.
      const lines = logs.split('\n').filter((line) => line.startsWith('{'));
      const requestLines = lines.filter((line) => line.includes('"msg":"request"'));
      assert.ok(requestLines.length >= 6, logs);
      assert.ok(requestLines.some((line) => line.includes('"statusCode":401')));
      for (const secret of [
        app.application_secret,
        wrongSecret,
        authorization,
        authorization.slice(6),
        wrongAuthorization.slice(6),
      ]) {
        assert.ok(
          !logs.includes(secret),
          `log output contains a secret: ${logs
            .split('\n')
            .filter((l) => l.includes(secret))
            .join('\n')}`,
        );
      }
    } finally {
      tmp.cleanup();
    }
  });

  // Below debug level, request loggers make their pino child on first use (request-context.ts):
  // a line logged through one must still carry the request ID and be redacted.
  it('a request logger at info level writes lines bound to the request, redacted', async () => {
    const tmp = tempDb();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    const storage = openSqliteStorage(tmp.db);
    const pepper = loadOrCreatePepper(join(tmp.dir, 'pepper'));
    const app = await buildApp({ storage, pepper, logger: createLogger('info', sink) });
    try {
      app.get('/log-probe', (request) => {
        request.log.debug('not written at info level');
        request.log.warn({ headers: { authorization: 'Basic c2VjcmV0' } }, 'probe');
        return { level: request.log.level };
      });
      const response = await app.inject({ method: 'GET', url: '/log-probe' });
      assert.equal(response.json().level, 'info');
      const written = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(written.filter((line) => line.msg === 'not written at info level').length, 0);
      const probe = written.filter((line) => line.msg === 'probe');
      assert.equal(probe.length, 1);
      assert.equal(probe[0]!.reqId, response.headers['x-request-id']);
      assert.deepEqual(probe[0]!.headers, { authorization: '[Redacted]' });
    } finally {
      await app.close();
      await storage.close();
      tmp.cleanup();
    }
  });
});
