// Secrets never reach a log line, even at the most verbose level. The app is built in process
// (fixture.ts) with a logger that collects its lines in memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiKey } from '../src/admin/api-keys.js';
import { collectingLogger, inProcessServer } from './fixture.js';
import { basic, FORM, requestToken, send } from './helpers.js';

describe('logging', () => {
  it('logs requests at debug level without secrets or Authorization values', async () => {
    const { logger, lines } = collectingLogger('trace');
    const server = await inProcessServer({ logger });
    const secrets: string[] = [];
    try {
      const app = await server.createApplication();
      const authorization = basic(app.application_id, app.application_secret);
      const wrongSecret = `${app.application_secret}-wrong`;
      const wrongAuthorization = basic(app.application_id, wrongSecret);
      secrets.push(
        app.application_secret,
        wrongSecret,
        authorization,
        authorization.slice(6),
        wrongAuthorization.slice(6),
      );

      assert.equal((await requestToken(server, app)).status, 200);
      assert.equal((await requestToken(server, { ...app, application_secret: wrongSecret })).status, 401);
      const bodySecret = await send(server, {
        headers: { authorization, 'content-type': FORM },
        body: `grant_type=client_credentials&client_secret=${app.application_secret}`,
      });
      assert.equal(bodySecret.status, 400);
      const huge = await send(server, {
        headers: { authorization, 'content-type': FORM },
        body: `client_secret=${app.application_secret}&${'a'.repeat(20_000)}`,
      });
      assert.equal(huge.status, 413);
      await send(server, { method: 'GET', headers: { authorization } });
      await send(server, {
        method: 'GET',
        path: `/${app.application_secret}`,
        headers: { authorization },
      });
    } finally {
      await server.close();
    }

    const logs = lines.join('\n');
    // The log is real: one debug line per request, with status codes.
    const requestLines = lines.filter((line) => line.startsWith('{') && line.includes('"msg":"request"'));
    assert.ok(requestLines.length >= 6, logs);
    assert.ok(requestLines.some((line) => line.includes('"statusCode":401')));
    for (const secret of secrets) {
      assert.ok(
        !logs.includes(secret),
        `log output contains a secret: ${lines.filter((l) => l.includes(secret)).join('\n')}`,
      );
    }
  });

  // Below debug level, request loggers make their pino child on first use (request-context.ts):
  // a line logged through one must still carry the request ID and be redacted.
  it('a request logger at info level writes lines bound to the request, redacted', async () => {
    const { logger, lines } = collectingLogger('info');
    const server = await inProcessServer({ logger });
    try {
      server.app.get('/log-probe', (request) => {
        request.log.debug('not written at info level');
        request.log.warn({ headers: { authorization: 'Basic c2VjcmV0' } }, 'probe');
        return { level: request.log.level };
      });
      const response = await server.app.inject({ method: 'GET', url: '/log-probe' });
      assert.equal(response.json().level, 'info');
      const written = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(written.filter((line) => line.msg === 'not written at info level').length, 0);
      const probe = written.filter((line) => line.msg === 'probe');
      assert.equal(probe.length, 1);
      assert.equal(probe[0]!.reqId, response.headers['x-request-id']);
      assert.deepEqual(probe[0]!.headers, { authorization: '[Redacted]' });
    } finally {
      await server.close();
    }
  });

  it('never logs an API key, from the admin API or in a logged header', async () => {
    const { logger, lines } = collectingLogger('trace');
    const server = await inProcessServer({ logger });
    try {
      const { key } = await createApiKey(server.storage, server.pepper, 'ops');
      const wrong = `${key.slice(0, -4)}AAAA`;
      for (const presented of [key, wrong]) {
        const response = await server.send({
          method: 'GET',
          path: '/admin/v1/me',
          headers: { 'x-api-key': presented },
        });
        assert.ok(response.status === 200 || response.status === 401, String(response.status));
      }
      logger.warn({ headers: { 'x-api-key': key }, api_key: key }, 'probe');
      const logs = lines.join('\n');
      assert.ok(lines.some((line) => line.includes('probe')));
      for (const secret of [key, wrong, key.split('.')[1]!])
        assert.ok(!logs.includes(secret), 'an API key was logged');
    } finally {
      await server.close();
    }
  });
});
