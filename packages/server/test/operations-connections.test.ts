// Connections of a public token endpoint: idle, slow-header (slowloris) and slow-body
// connections are closed by their timeouts; open connections are capped below the open-file
// limit, and at the cap the connection idle the longest makes room for a new one, so 1,100
// idle sockets against a 1,024-file server do not lock legitimate clients out (before: 0 of 280
// token requests succeeded, and nothing was logged). With every connection busy, a new one is
// closed at once, and the cap is logged once a second with counts. Real sockets, the real binary.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigError, resolveConfig } from '../src/config/options.js';
import { defaultMaxConnections, openFileLimit } from '../src/config/values.js';
import { ConnectionGuard, connectionStats } from '../src/http/connections.js';
import { cli, createApplication, requestToken, type TestApplication, tempDb, waitFor } from './helpers.js';
import {
  type LaunchedServer,
  launch,
  openSocket,
  TOKEN_BODY,
  tokenRequestHead,
  type WatchedSocket,
} from './operations-helpers.js';

/** Sum of a numeric field over the log lines whose message matches. */
function total(server: LaunchedServer, msg: RegExp, field: string): number {
  return server.logLines(msg).reduce((sum, entry) => sum + Number(entry[field] ?? 0), 0);
}

const LIMIT_LINE = /^connection limit reached/;

describe('connection options', () => {
  it('default to timeouts fit for a public token endpoint and a cap below the open-file limit', () => {
    const config = resolveConfig({}, {});
    assert.deepEqual(
      {
        keepAlive: config.connections.keepAliveTimeoutMs,
        headers: config.connections.headersTimeoutMs,
        request: config.connections.requestTimeoutMs,
        shutdown: config.shutdownTimeoutMs,
      },
      { keepAlive: 5000, headers: 10_000, request: 15_000, shutdown: 10_000 },
    );
    assert.equal(config.connections.maxConnections, defaultMaxConnections(openFileLimit()));
    // 1,024 files: 128 kept for the database, logs, Redis and bursts.
    assert.equal(defaultMaxConnections(1024), 896);
    assert.equal(defaultMaxConnections(20_000), 10_000);
    assert.equal(defaultMaxConnections(Number.POSITIVE_INFINITY), 10_000);
    assert.equal(defaultMaxConnections(undefined), 1000);
    assert.equal(
      openFileLimit(
        () =>
          'Limit  Soft Limit  Hard Limit  Units\nMax open files            1024                 4096                 files\n',
      ),
      1024,
    );
    assert.equal(
      openFileLimit(() => 'Max open files  unlimited  unlimited  files\n'),
      Number.POSITIVE_INFINITY,
    );
    assert.equal(
      openFileLimit(() => {
        throw new Error('no /proc');
      }),
      undefined,
    );
  });

  it('are read from flags over environment variables', () => {
    const env = {
      SMSCX_KEEP_ALIVE_TIMEOUT_MS: '7000',
      SMSCX_HEADERS_TIMEOUT_MS: '3000',
      SMSCX_REQUEST_TIMEOUT_MS: '9000',
      SMSCX_MAX_CONNECTIONS: '500',
      SMSCX_SHUTDOWN_TIMEOUT: '30s',
    };
    const fromEnv = resolveConfig({}, env);
    assert.deepEqual(fromEnv.connections, {
      keepAliveTimeoutMs: 7000,
      headersTimeoutMs: 3000,
      requestTimeoutMs: 9000,
      maxConnections: 500,
    });
    assert.equal(fromEnv.shutdownTimeoutMs, 30_000);
    const fromFlags = resolveConfig(
      { maxConnections: '20', shutdownTimeout: '1500ms', keepAliveTimeout: '100' },
      env,
    );
    assert.equal(fromFlags.connections.maxConnections, 20);
    assert.equal(fromFlags.connections.keepAliveTimeoutMs, 100);
    assert.equal(fromFlags.shutdownTimeoutMs, 1500);
    assert.equal(resolveConfig({ shutdownTimeout: '2m' }, {}).shutdownTimeoutMs, 120_000);
    assert.equal(resolveConfig({ shutdownTimeout: '5' }, {}).shutdownTimeoutMs, 5000);
    assert.equal(resolveConfig({ shutdownTimeout: '0' }, {}).shutdownTimeoutMs, 0);
  });

  it('refuse bad values with a usage error', () => {
    for (const input of [
      { keepAliveTimeout: '0' },
      { headersTimeout: '1.5' },
      { requestTimeout: '600001' },
      { maxConnections: '0' },
      { maxConnections: 'lots' },
      { shutdownTimeout: '11m' },
      { shutdownTimeout: '10 seconds' },
      { headersTimeout: '20000', requestTimeout: '10000' },
    ]) {
      assert.throws(() => resolveConfig(input, {}), ConfigError, JSON.stringify(input));
    }
    const result = cli(['serve', '--max-connections', '0']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /max connections must be an integer 1-1000000/);
    assert.match(result.stderr, /--max-connections <n>/);
  });
});

describe('connectionStats (what metrics read)', () => {
  it('counts accepted, open, evicted, refused, timed-out and forced connections', async () => {
    const server = createHttpServer(
      { headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 },
      (request, response) => {
        // Answers once the body is in; a body that never ends keeps its request in flight.
        request.resume();
        request.on('end', () => response.end('ok'));
      },
    );
    server.on('clientError', (_error, socket) => socket.destroy());
    const guard = new ConnectionGuard(server, { maxConnections: 2, logger: pino({ level: 'silent' }) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const start = { ...connectionStats };
    const delta = (key: keyof typeof start): number => connectionStats[key] - start[key];
    try {
      assert.equal(connectionStats.max, 2);
      const silent = await openSocket(port);
      await waitFor(() => delta('open') === 1, 'one open');
      await waitFor(
        () => silent.closedAt !== undefined && delta('timedOut') === 1,
        'the silent one timed out',
      );
      assert.equal(delta('open'), 0);
      const [a, b] = [await openSocket(port), await openSocket(port)];
      const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n';
      a.socket.write(head);
      await waitFor(() => a.received.includes('100 Continue'), 'a in flight');
      const c = await openSocket(port); // b is idle: it makes room
      await waitFor(() => b.closedAt !== undefined && delta('evicted') === 1, 'b evicted');
      c.socket.write(head);
      await waitFor(() => c.received.includes('100 Continue'), 'c in flight');
      const d = await openSocket(port); // a and c busy: refused
      await waitFor(() => d.closedAt !== undefined && delta('refused') === 1, 'd refused');
      assert.deepEqual([delta('accepted'), delta('open'), guard.size], [5, 2, 2]);
      assert.equal(await guard.drain(50), 2, 'the two busy connections forced');
      assert.equal(delta('forcedAtShutdown'), 2);
      await waitFor(
        () => delta('open') === 0 && a.closedAt !== undefined && c.closedAt !== undefined,
        'all closed',
      );
    } finally {
      server.close();
    }
  });
});

describe('timeouts close idle, slow-header and slow-body connections', () => {
  const tmp = tempDb();
  let server: LaunchedServer;
  let app: TestApplication;
  const timers: NodeJS.Timeout[] = [];

  before(async () => {
    app = createApplication(tmp.db);
    server = await launch(tmp.db, [
      '--keep-alive-timeout',
      '300',
      '--headers-timeout',
      '500',
      '--request-timeout',
      '1000',
    ]);
  });
  after(async () => {
    for (const timer of timers) clearInterval(timer);
    server.process.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  });

  /** Writes `text` one byte every 50 ms while the socket is open. */
  function trickle(watched: WatchedSocket, text: string): void {
    let at = 0;
    const timer = setInterval(() => {
      if (watched.closedAt !== undefined || at >= text.length) {
        clearInterval(timer);
        return;
      }
      watched.socket.write(text[at]!);
      at += 1;
    }, 50);
    timers.push(timer);
  }

  it('each closed after its own timeout (not before), the request ones with a response', async () => {
    const silent = await openSocket(server.port);
    const slowHeaders = await openSocket(server.port);
    trickle(slowHeaders, tokenRequestHead(app, TOKEN_BODY.length));
    const slowBody = await openSocket(server.port);
    slowBody.socket.write(tokenRequestHead(app, TOKEN_BODY.length));
    trickle(slowBody, TOKEN_BODY);
    const keptAlive = await openSocket(server.port);
    keptAlive.socket.write(tokenRequestHead(app, TOKEN_BODY.length) + TOKEN_BODY);
    await waitFor(() => keptAlive.received.includes('access_token'), 'the keep-alive response');
    const answeredAt = Date.now();

    const all = [silent, slowHeaders, slowBody, keptAlive];
    await waitFor(
      () => all.every((watched) => watched.closedAt !== undefined),
      'every connection closed',
      8000,
    );
    const lived = (watched: WatchedSocket, from = watched.connectedAt): number => watched.closedAt! - from;
    // The slow ones were still sending when closed: the timeouts, not the end of their input.
    assert.ok(slowHeaders.received.length === 0 || /^HTTP\/1\.1 (400|408)/.test(slowHeaders.received));
    // Node checks these timeouts every quarter of the shorter one, hence the upper bounds.
    for (const [name, ms, min, max] of [
      ['silent (headers timeout 500)', lived(silent), 450, 2000],
      ['slow headers (headers timeout 500)', lived(slowHeaders), 450, 2000],
      ['slow body (request timeout 1000)', lived(slowBody), 950, 3000],
      ['idle keep-alive (keep-alive timeout 300)', lived(keptAlive, answeredAt), 250, 2500],
    ] as const) {
      assert.ok(ms >= min && ms <= max, `${name}: closed after ${ms} ms`);
    }
    assert.ok(slowBody.received === '' || /^HTTP\/1\.1 (400|408)/.test(slowBody.received), slowBody.received);
    // The server still serves.
    const response = await requestToken(server.url, app);
    assert.equal(response.status, 200, response.body);
  });
});

describe('the connection cap', () => {
  const tmp = tempDb();
  let app: TestApplication;
  before(() => {
    app = createApplication(tmp.db);
  });
  after(() => tmp.cleanup());

  it('under 1,100 idle sockets and a 1,024-file limit, 280 token requests all succeed', async () => {
    // Long header timeouts: only the cap closes the idle sockets here.
    const server = await launch(tmp.db, ['--headers-timeout', '60000', '--request-timeout', '60000'], {
      openFiles: 1024,
    });
    const idle: WatchedSocket[] = [];
    try {
      for (let i = 0; i < 1100; i += 1) idle.push(await openSocket(server.port));
      // The server made room by closing the longest idle of them: at least 1,100 - 896.
      await waitFor(() => total(server, LIMIT_LINE, 'evicted') >= 1100 - 896, 'the cap logged', 5000);
      assert.equal(server.logLines(LIMIT_LINE)[0]!.maxConnections, 896);
      const startedAt = Date.now();
      const statuses = (
        await Promise.all(
          Array.from({ length: 280 }, () => requestToken(server.url, app).then((r) => r.status)),
        )
      ).sort();
      assert.deepEqual(statuses, Array(280).fill(200));
      const tookMs = Date.now() - startedAt;
      // The oldest idle sockets went first; the newest are still open.
      assert.notEqual(idle[0]!.closedAt, undefined, 'the oldest idle socket is still open');
      assert.equal(idle.at(-1)!.closedAt, undefined, 'the newest idle socket was closed');
      // Logged with counts, not once per connection: at most one line a second.
      // Every idle socket the server closed was counted, and logged within a second.
      const closed = (): number => idle.filter((watched) => watched.closedAt !== undefined).length;
      await waitFor(() => total(server, LIMIT_LINE, 'evicted') === closed(), 'every eviction logged', 5000);
      const times = server.logLines(LIMIT_LINE).map((entry) => Number(entry.time));
      for (let i = 1; i < times.length; i += 1) assert.ok(times[i]! - times[i - 1]! >= 900, `lines ${times}`);
      assert.ok(times.length < 10, `${times.length} lines`);
      process.stdout.write(
        `# 1,100 idle sockets, 1,024 files: 280/280 token requests in ${tookMs} ms; ${total(server, LIMIT_LINE, 'evicted')} idle connections closed for room, in ${times.length} log line(s)\n`,
      );
    } finally {
      for (const watched of idle) watched.socket.destroy();
      server.process.kill('SIGKILL');
      await server.exited;
    }
  });

  it('closes the idle connection idle the longest, and with all busy refuses the new one at once', async () => {
    const server = await launch(tmp.db, ['--max-connections', '3', '--request-timeout', '20000']);
    try {
      const [first, second, third] = [
        await openSocket(server.port),
        await openSocket(server.port),
        await openSocket(server.port),
      ];
      const fourth = await openSocket(server.port);
      await waitFor(() => first!.closedAt !== undefined, 'the oldest idle connection closed');
      assert.deepEqual(
        [second!.closedAt, third!.closedAt, fourth.closedAt],
        [undefined, undefined, undefined],
      );
      // Three requests in flight (bodies still to come): no connection is idle. `100 Continue`
      // says the server read the head, so has the request in flight.
      const busy = [second!, third!, fourth];
      for (const watched of busy) {
        watched.socket.write(tokenRequestHead(app, TOKEN_BODY.length, 'Expect: 100-continue\r\n'));
      }
      await waitFor(
        () => busy.every((watched) => watched.received.includes('100 Continue')),
        'three heads read',
      );
      const refused = await openSocket(server.port);
      await waitFor(() => refused.closedAt !== undefined, 'the new connection closed', 3000);
      assert.equal(refused.received, '', 'a refused connection gets no bytes');
      assert.ok(refused.closedAt! - refused.connectedAt < 1000, 'refused at once, not left hanging');
      await waitFor(() => total(server, LIMIT_LINE, 'refused') >= 1, 'the refusal logged', 3000);
      // The busy ones were not touched, and finish normally.
      assert.ok(busy.every((watched) => watched.closedAt === undefined));
      for (const watched of busy) watched.socket.write(TOKEN_BODY);
      await waitFor(
        () => busy.every((watched) => watched.received.includes('access_token')),
        'the three answered',
      );
      const response = await requestToken(server.url, app);
      assert.equal(response.status, 200, response.body);
    } finally {
      server.process.kill('SIGKILL');
      await server.exited;
    }
  });
});
