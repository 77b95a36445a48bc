// --trust-proxy: behind a load balancer every client arrives from the balancer's address, so the
// failed-authentication budget per client IP must come from X-Forwarded-For, but only when the
// peer is a trusted proxy: a spoofed header from anyone else changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../src/config/options.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, FORM, type RawResponse } from './helpers.js';

describe('--trust-proxy', () => {
  let server: InProcessServer;
  let appId: string;

  before(async () => {
    server = await inProcessServer({
      trustProxy: ['127.0.0.1', '10.1.0.0/16'],
      authFailureLimit: { points: 2, durationSeconds: 60 },
    });
    appId = (await server.createApplication()).application_id;
  });
  after(() => server.close());

  /** A failed authentication from TCP peer `peer` with `X-Forwarded-For: forwarded`. */
  const wrongSecret = (peer: string, forwarded?: string): Promise<RawResponse> =>
    server.send({
      remoteAddress: peer,
      headers: {
        authorization: basic(appId, 'wrong'),
        'content-type': FORM,
        ...(forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }),
      },
      body: 'grant_type=client_credentials',
    });

  it('counts failures per forwarded client when the peer is a trusted proxy', async () => {
    assert.equal((await wrongSecret('127.0.0.1', '203.0.113.5')).status, 401);
    assert.equal((await wrongSecret('127.0.0.1', '203.0.113.5')).status, 401);
    assert.equal((await wrongSecret('127.0.0.1', '203.0.113.5')).status, 429, 'this client spent its budget');
    // Other clients behind the same proxy, one of them behind a second trusted hop, have their own.
    for (const forwarded of ['198.51.100.7', '198.51.100.8, 10.1.0.5']) {
      const other = await wrongSecret('127.0.0.1', forwarded);
      assert.equal(other.status, 401, forwarded);
      assert.equal(other.headers['x-rate-limit-remaining'], '1', forwarded);
    }
  });

  it('ignores X-Forwarded-For from an untrusted peer: a spoofed header changes nothing', async () => {
    const spoofs = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    const statuses = [];
    for (const spoofed of spoofs) statuses.push((await wrongSecret('172.16.0.9', spoofed)).status);
    assert.deepEqual(statuses, [401, 401, 429], 'all three counted against the peer 172.16.0.9');
  });

  it('is off by default, and a malformed list is a configuration error', () => {
    assert.deepEqual(resolveConfig({}, {}).trustProxy, []);
    assert.deepEqual(resolveConfig({}, { SMSCX_TRUST_PROXY: '127.0.0.1, ::1,10.0.0.0/8' }).trustProxy, [
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
    ]);
    for (const bad of ['localhost', '10.0.0.0/33', '1.2.3.4/8/9', 'fd00::/129']) {
      assert.throws(() => resolveConfig({ trustProxy: bad }, {}), ConfigError, bad);
    }
  });
});
