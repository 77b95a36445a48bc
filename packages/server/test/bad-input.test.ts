// Bytes that are not even valid HTTP, or carry non-ASCII: still the envelope, never a crash.
// Raw bytes only Node's HTTP parser sees go over a real socket to the app built in process and
// listening on loopback (fixture.ts); the body checks go through app.inject.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, envelope, FORM, requestToken } from './helpers.js';

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
  let server: InProcessServer;
  let port: number;
  before(async () => {
    server = await inProcessServer();
    port = Number(new URL(await server.listen()).port);
  });
  after(async () => {
    await server.close();
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
      const response = parse(await raw(port, bytes));
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
    const response = parse(await raw(port, request));
    assert.equal(response.status, 401);
    assert.equal((JSON.parse(response.body) as { error: { type: string } }).error.type, 'invalid_client');
  });

  it('treats non-ASCII and invalid UTF-8 in the body as a client error, not a crash', async () => {
    // Created after the server started: in force once createApplication resolves.
    const app = await server.createApplication();
    const bytes = Buffer.from([0x67, 0x72, 0x61, 0xff, 0xfe, 0x3d, 0xc3]);
    // As text (sent UTF-8 encoded), and as the raw bytes, which are not valid UTF-8.
    assert.equal((await requestToken(server, app, bytes.toString('latin1'))).status, 400);
    const invalidUtf8 = await server.send({
      headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
      body: bytes,
    });
    assert.equal(invalidUtf8.status, 400);
    assert.equal(envelope(invalidUtf8).type, 'invalid_request');
    const scope = await requestToken(server, app, 'grant_type=client_credentials&scope=%C3%A9t%C3%A9 sms');
    assert.equal(scope.status, 400);
    assert.equal(envelope(scope).type, 'invalid_scope');
  });
});
