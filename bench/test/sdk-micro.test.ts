// Smoke test of the SDK micro-benchmark (src/micro/sdk.ts) with tiny counts against a loopback token
// endpoint, so the comparison it reports cannot rot. No timing assertions: only that every kind of
// request really got a token, that the stampede shared one request, and that the report judges the
// like-for-like ratios.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { MicroResult } from '../src/micro/harness.js';
import {
  benchSdk,
  NULL_CONTROL,
  SDK_OVER_RAW,
  SDK_OVER_TIMED,
  SDK_UNTIMED_OVER_RAW,
} from '../src/micro/sdk.js';
import { type BenchResults, computeChecks } from '../src/results.js';
import { basicAuth } from '../src/targets/common.js';

const credential = { id: 'bench-app', secret: 's3cret/with+symbols' };

test('the SDK micro-benchmark times every kind of token request and judges the like-for-like pairs', {
  timeout: 60_000,
}, async () => {
  const expected = basicAuth(credential);
  const authorizations = new Set<string>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    authorizations.add(String(req.headers.authorization));
    req.resume().on('end', () => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end('{"access_token":"a.b.c","token_type":"Bearer","expires_in":86400,"scope":"sms"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const section = await benchSdk(
      { url: `http://127.0.0.1:${port}`, credentials: [credential] },
      { cachedOps: 1000, requestOps: 3, stampede: 20, samples: 1 },
    );
    assert.equal(section.status, 'ok', 'note' in section ? section.note : '');
    assert.deepEqual([...authorizations], [expected], 'raw fetch and SDK sent the same Basic header');
    // 2 warm-up samples and 1 measured, of 5 kinds × 3 requests; plus the 3 first calls (SDK, token
    // manager, SDK without a timeout). The stampede goes to a counting server of its own.
    assert.equal(requests, 5 * 3 * 3 + 3);
    const results = section.status === 'ok' ? section.results : [];
    const byName = new Map(results.map((r) => [r.name, r]));
    assert.equal(byName.get('20 concurrent cold getToken(): token requests')?.value, 1);
    for (const name of [SDK_OVER_TIMED, SDK_UNTIMED_OVER_RAW, SDK_OVER_RAW, NULL_CONTROL]) {
      for (const statistic of ['median request', 'mean time']) {
        const ratio = byName.get(`${name}, ${statistic}`);
        assert.ok(
          ratio && Number.isFinite(ratio.value) && ratio.samples.length === 1,
          `${name}, ${statistic}`,
        );
      }
    }

    const check = computeChecks(withMicro(results)).find((c) => c.name.startsWith('SDK getAccessToken()'));
    const likeForLike = Math.max(
      byName.get(`${SDK_OVER_TIMED}, median request`)!.value,
      byName.get(`${SDK_UNTIMED_OVER_RAW}, median request`)!.value,
    );
    assert.equal(check?.pass, likeForLike <= 0.05);
    assert.match(check?.measured ?? '', /default SDK over plain fetch -?\d/);
  } finally {
    server.close();
  }
});

/** The smallest results object the report's checks read, holding only the SDK section. */
function withMicro(results: MicroResult[]): BenchResults {
  const micro = { sdk: { status: 'ok', results } };
  return {
    config: { connections: 50 },
    targets: [],
    scale: [],
    workers: [],
    micro,
  } as unknown as BenchResults;
}
