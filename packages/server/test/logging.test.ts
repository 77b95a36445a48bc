// Secrets never reach a log line, even at the most verbose level.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
