// Bad HTTP against the real binary over raw sockets: an HTTP/1.1 request without Host gets the
// error envelope with the usual headers (before: Node's bare 400, no body, no X-Request-Id), an
// HTTP/1.0 one is served (HTTP/1.0 has no Host); a body with a Content-Encoding other than
// identity gets 415 in the envelope (before: a plain-text body labelled gzip got a token).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  basic,
  createApplication,
  envelope,
  FORM,
  parseJson,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RESPONSE_TIME = /^\d+\.\d{2}ms$/;

/** One raw exchange: what the server answered, and whether it then closed the connection. */
interface RawExchange extends RawResponse {
  /** The server closed the connection after the response. */
  readonly closed: boolean;
}

/**
 * Writes `bytes` on a new connection and reads one response: complete once its
 * `Content-Length` bytes of body arrived; `closed` tells whether the server then closed the
 * connection (waited for until it does, bounded: a keep-alive connection stays open).
 */
function exchange(port: number, bytes: string | Buffer): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let response: RawResponse | undefined;
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      if (response === undefined) {
        settled = true;
        reject(new Error(`no complete response (${closed ? 'closed' : 'timed out'}): ${data.toString()}`));
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...response, closed });
    };
    // A bound for a broken server; a working one answers (and closes) within milliseconds.
    const timer = setTimeout(() => finish(false), 3000);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      response ??= complete(data);
    });
    socket.on('error', reject);
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

/** The response in `data` once it is all there. */
function complete(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  const body = data.subarray(end + 4, end + 4 + length).toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, json: parseJson(body) };
}

/** A raw request: the request line, the header lines, the body (with its Content-Length). */
function rawRequest(requestLine: string, headers: string[], body = ''): string {
  const lines = [requestLine, ...headers];
  if (body !== '' || requestLine.startsWith('POST')) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function assertUsualHeaders(response: RawResponse, what: string): void {
  assert.match(String(response.headers['x-request-id']), UUID, `${what}: X-Request-Id`);
  assert.match(String(response.headers['x-response-time']), RESPONSE_TIME, `${what}: X-Response-Time`);
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8', what);
}

describe('bad HTTP', () => {
  let db: ReturnType<typeof tempDb>;
  let server: TestServer;
  let app: TestApplication;
  let authorization: string;

  before(async () => {
    db = tempDb();
    app = createApplication(db.db);
    authorization = `Authorization: ${basic(app.application_id, app.application_secret)}`;
    server = await startServer(db.db, ['--rate-limit', '1000/60', '--auth-failure-limit', '1000/60']);
  });
  after(async () => {
    await server.stop();
    db.cleanup();
  });

  describe('a request without Host', () => {
    it('HTTP/1.1 to the token endpoint: 400 invalid_request in the envelope, usual headers, no-store', async () => {
      const response = await exchange(
        server.port,
        rawRequest(
          'POST /oauth/token HTTP/1.1',
          [authorization, `Content-Type: ${FORM}`],
          'grant_type=client_credentials',
        ),
      );
      assert.equal(response.status, 400, response.body);
      assert.deepEqual(envelope(response), {
        type: 'invalid_request',
        code: 1600,
        message: 'The Host header is required (HTTP/1.1)',
        uri: 'https://docs.sms.cx/#invalid_request',
      });
      assertUsualHeaders(response, 'POST /oauth/token without Host');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers.pragma, 'no-cache');
      assert.equal(response.headers.connection, 'close');
      assert.equal(response.closed, true, 'the connection is closed after the answer, as Node does');
      assert.equal(response.headers['www-authenticate'], undefined, 'no authentication was attempted');
    });

    it('HTTP/1.1 to the revocation endpoint and elsewhere: the same answer', async () => {
      for (const requestLine of [
        'POST /oauth/revoke HTTP/1.1',
        'POST /oauth/introspect HTTP/1.1',
        'GET /.well-known/jwks.json HTTP/1.1',
        'GET /healthz HTTP/1.1',
        'GET /no-such-path HTTP/1.1',
      ]) {
        const response = await exchange(server.port, rawRequest(requestLine, [authorization]));
        assert.equal(response.status, 400, `${requestLine}: ${response.body}`);
        assert.equal(envelope(response).message, 'The Host header is required (HTTP/1.1)');
        assertUsualHeaders(response, requestLine);
        assert.equal(response.headers['cache-control'], 'no-store', requestLine);
      }
    });

    it('echoes a safe X-Request-Id, like every other answer', async () => {
      const response = await exchange(
        server.port,
        rawRequest('POST /oauth/token HTTP/1.1', ['X-Request-Id: trace-1234']),
      );
      assert.equal(response.status, 400);
      assert.equal(response.headers['x-request-id'], 'trace-1234');
    });

    it('HTTP/1.0 is served: it has no Host, and nothing here depends on one', async () => {
      const response = await exchange(
        server.port,
        rawRequest(
          'POST /oauth/token HTTP/1.0',
          [authorization, `Content-Type: ${FORM}`],
          'grant_type=client_credentials',
        ),
      );
      assert.equal(response.status, 200, response.body);
      const token = response.json as { access_token?: string; token_type?: string };
      assert.equal(token.token_type, 'Bearer');
      assert.match(String(token.access_token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.match(String(response.headers['x-request-id']), UUID);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.closed, true, 'HTTP/1.0 without keep-alive: closed after the answer');

      const unauthenticated = await exchange(server.port, rawRequest('POST /oauth/token HTTP/1.0', []));
      assert.equal(unauthenticated.status, 401);
      assert.equal(envelope(unauthenticated).type, 'invalid_client');
    });

    it('an empty Host (allowed by RFC 9112 for a target without authority) is a Host', async () => {
      const response = await exchange(
        server.port,
        rawRequest(
          'POST /oauth/token HTTP/1.1',
          ['Host:', authorization, `Content-Type: ${FORM}`, 'Connection: close'],
          'grant_type=client_credentials',
        ),
      );
      assert.equal(response.status, 200, response.body);
    });

    it('the server keeps serving afterwards', async () => {
      const response = await requestToken(server.url, app);
      assert.equal(response.status, 200, response.body);
    });
  });

  describe('a body with a Content-Encoding', () => {
    const token = (
      headers: Record<string, string>,
      body: string | Buffer = 'grant_type=client_credentials',
    ) =>
      send(server.url, {
        headers: {
          authorization: basic(app.application_id, app.application_secret),
          'content-type': FORM,
          ...headers,
        },
        body,
      });

    for (const coding of [
      'gzip',
      'deflate',
      'br',
      'x-gzip',
      'compress',
      'zstd',
      'gzip, identity',
      'unknown',
    ]) {
      it(`${coding}: 415 invalid_request in the envelope, even when the body is plain text`, async () => {
        const response = await token({ 'content-encoding': coding });
        assert.equal(response.status, 415, response.body);
        assert.deepEqual(envelope(response), {
          type: 'invalid_request',
          code: 1615,
          message: 'Content-Encoding is not supported (send the body unencoded)',
          uri: 'https://docs.sms.cx/#invalid_request',
        });
        assert.equal(response.headers['accept-encoding'], 'identity', 'RFC 9110 §12.5.3: what is accepted');
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.match(String(response.headers['x-request-id']), UUID);
        assert.match(String(response.headers['x-response-time']), RESPONSE_TIME);
        assert.ok(
          response.headers['x-rate-limit-limit'] !== undefined,
          'the token endpoint headers are there',
        );
      });
    }

    it('a body really gzipped: 415 as well (bodies are never decompressed)', async () => {
      const response = await token({ 'content-encoding': 'gzip' }, gzipSync('grant_type=client_credentials'));
      assert.equal(response.status, 415, response.body);
      assert.equal(envelope(response).code, 1615);
    });

    it('identity (any case, repeated) is no encoding: the token is issued', async () => {
      for (const coding of ['identity', 'Identity', 'identity, IDENTITY', '']) {
        const response = await token({ 'content-encoding': coding });
        assert.equal(response.status, 200, `${JSON.stringify(coding)}: ${response.body}`);
      }
    });

    it('ranks with the body errors, after client authentication: a wrong secret still gets 401', async () => {
      const response = await requestToken(
        server.url,
        { application_id: app.application_id, application_secret: 'wrong' },
        'grant_type=client_credentials',
        { 'content-encoding': 'gzip' },
      );
      assert.equal(response.status, 401);
      assert.equal(envelope(response).type, 'invalid_client');
    });

    it('applies to every endpoint that reads a body: revocation too', async () => {
      const response = await send(server.url, {
        path: '/oauth/revoke',
        headers: {
          authorization: basic(app.application_id, app.application_secret),
          'content-type': FORM,
          'content-encoding': 'deflate',
        },
        body: 'token=abc',
      });
      assert.equal(response.status, 415, response.body);
      assert.equal(envelope(response).code, 1615);
      assert.equal(response.headers['cache-control'], 'no-store');
    });
  });
});
