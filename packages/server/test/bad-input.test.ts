// Bytes that are not even valid HTTP, or carry non-ASCII: still the envelope, never a crash.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createApplication,
  envelope,
  requestToken,
  startServer,
  type TestServer,
  tempDb,
} from './helpers.js';

/** Writes raw bytes to the server and returns everything it answers until it closes. */
function raw(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(5000, () => socket.destroy());
    socket.write(bytes);
  });
}

function parse(response: string): { status: number; headers: string; body: string } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body };
}

describe('malformed HTTP and non-ASCII input', () => {
  const tmp = tempDb();
  let server: TestServer;
  before(async () => {
    server = await startServer(tmp.db);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    tmp.cleanup();
  });

  for (const [name, bytes] of [
    ['a request line that is not HTTP', 'HELLO WORLD\r\n\r\n'],
    ['an unknown method', 'BREW /oauth/token HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'POST /oauth/token HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
    [
      'conflicting Content-Length headers',
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    ['an oversized header block', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ] as const) {
    it(`answers ${name} with 400 and the envelope`, async () => {
      const response = parse(await raw(server.port, bytes));
      assert.equal(response.status, 400, response.headers);
      assert.match(response.headers, /x-request-id: [a-z0-9-]+/);
      const error = envelope({
        status: 400,
        headers: {},
        body: response.body,
        json: JSON.parse(response.body),
      });
      assert.equal(error.type, 'invalid_request');
      assert.equal(error.code, 1600);
    });
  }

  it('treats non-ASCII bytes in the Authorization header as invalid_client', async () => {
    const request = Buffer.concat([
      Buffer.from('POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic '),
      Buffer.from([0xe9, 0xff, 0xc3, 0xa9]),
      Buffer.from(
        '\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials',
      ),
    ]);
    const response = parse(await raw(server.port, request));
    assert.equal(response.status, 401);
    assert.equal((JSON.parse(response.body) as { error: { type: string } }).error.type, 'invalid_client');
  });

  it('treats non-ASCII and invalid UTF-8 in the body as a client error, not a crash', async () => {
    const app = createApplication(tmp.db);
    // The server loads applications created after start within a second.
    let status = 0;
    for (let i = 0; i < 40 && status !== 400; i += 1) {
      const response = await requestToken(
        server.url,
        app,
        Buffer.from([0x67, 0x72, 0x61, 0xff, 0xfe, 0x3d, 0xc3]).toString('latin1'),
      );
      status = response.status;
      if (status !== 400) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 400);
    const scope = await requestToken(
      server.url,
      app,
      'grant_type=client_credentials&scope=%C3%A9t%C3%A9 sms',
    );
    assert.equal(scope.status, 400);
    assert.equal(envelope(scope).type, 'invalid_scope');
  });
});
