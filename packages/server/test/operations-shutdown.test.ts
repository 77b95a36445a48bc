// Shutdown on SIGTERM/SIGINT, with one process and with workers: the server stops accepting,
// answers the requests in flight with `Connection: close`, closes idle connections, closes
// what is left after --shutdown-timeout, and exits 0 with every process gone. A keep-alive
// client sending requests in a loop as the signal arrives sees no reset: each request is
// answered, or refused on a new connection (never sent). (Before: one idle connection kept the
// process alive for minutes, and responses while draining said `keep-alive`, so the clients'
// next requests were reset.) Real sockets, real signals, the real binary.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createApplication, type TestApplication, tempDb, waitFor } from './helpers.js';
import {
  type LaunchedServer,
  launch,
  type Outcome,
  openSocket,
  processesWith,
  TOKEN_BODY,
  tokenRequestHead,
  tokenThrough,
  type WatchedSocket,
} from './operations-helpers.js';

/** No rate limit gets in the way of the request loops. */
const NO_LIMIT = ['--rate-limit', '1000000/60'];

/** Resolves once a new connection to `port` is refused: the server stopped accepting. */
async function refusesConnections(port: number): Promise<void> {
  await waitFor(
    () =>
      openSocket(port).then(
        (watched) => {
          watched.socket.destroy();
          return false;
        },
        (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
      ),
    'new connections refused',
  );
}

/** Sends the head of a token request and waits until the server has read it (request in flight). */
async function requestInFlight(server: LaunchedServer, app: TestApplication): Promise<WatchedSocket> {
  const watched = await openSocket(server.port);
  watched.socket.write(tokenRequestHead(app, TOKEN_BODY.length, 'Expect: 100-continue\r\n'));
  await waitFor(() => watched.received.includes('100 Continue'), 'the head read');
  return watched;
}

/** Asserts exit 0 and no process of the server left; returns ms from `signalledAt` to exit. */
async function assertStopped(server: LaunchedServer, dir: string, signalledAt: number): Promise<number> {
  const { code, signal, at } = await server.exited;
  assert.equal(signal, null, server.stderr());
  assert.equal(code, 0, server.stderr());
  await waitFor(() => processesWith(dir).length === 0, 'every worker gone', 3000);
  return at - signalledAt;
}

const measured: string[] = [];

describe('shutdown', () => {
  const tmp = tempDb();
  let app: TestApplication;
  before(() => {
    app = createApplication(tmp.db);
  });
  after(() => {
    process.stdout.write(measured.map((line) => `# ${line}\n`).join(''));
    tmp.cleanup();
  });

  for (const [workers, signal] of [
    ['1', 'SIGTERM'],
    ['2', 'SIGINT'],
  ] as const) {
    it(`${signal}, --workers ${workers}: idle connections do not hold the process; exit 0`, async () => {
      const server = await launch(tmp.db, ['--workers', workers]);
      const silent = await openSocket(server.port);
      const keptAlive = await openSocket(server.port);
      keptAlive.socket.write(tokenRequestHead(app, TOKEN_BODY.length) + TOKEN_BODY);
      await waitFor(() => keptAlive.received.includes('access_token'), 'a keep-alive response');
      assert.match(keptAlive.received, /connection: keep-alive/i);
      const signalledAt = Date.now();
      server.process.kill(signal);
      const tookMs = await assertStopped(server, tmp.dir, signalledAt);
      // Closed by the server (a clean close, not a reset), within the drain's idle grace.
      for (const watched of [silent, keptAlive]) {
        assert.notEqual(watched.closedAt, undefined);
        assert.equal(watched.error, undefined, String(watched.error));
      }
      assert.ok(tookMs < 5000, `exit took ${tookMs} ms`);
      measured.push(`${signal} --workers ${workers} with 2 idle connections: exit 0 after ${tookMs} ms`);
    });
  }

  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: a request in flight is answered with Connection: close, then exit 0`, async () => {
      const server = await launch(tmp.db, ['--workers', workers]);
      const inFlight = await requestInFlight(server, app);
      const signalledAt = Date.now();
      server.process.kill('SIGTERM');
      await refusesConnections(server.port);
      // With workers, each drains once all stopped accepting: wait until every one does.
      await waitFor(() => server.logLines(/^draining connections/).length === Number(workers), 'draining');
      inFlight.socket.write(TOKEN_BODY);
      await waitFor(() => inFlight.closedAt !== undefined, 'the connection closed after its response');
      const response = inFlight.received.slice(inFlight.received.indexOf('HTTP/1.1 200'));
      assert.match(response, /^HTTP\/1\.1 200 OK\r\n/, inFlight.received);
      assert.match(response, /\r\nconnection: close\r\n/i);
      assert.match(response, /"access_token"/);
      assert.equal(inFlight.error, undefined);
      await assertStopped(server, tmp.dir, signalledAt);
    });

    it(`--workers ${workers}: what is still busy after --shutdown-timeout is closed; exit 0`, async () => {
      const server = await launch(tmp.db, ['--workers', workers, '--shutdown-timeout', '1s']);
      const stuck = await requestInFlight(server, app);
      const signalledAt = Date.now();
      server.process.kill('SIGTERM');
      const tookMs = await assertStopped(server, tmp.dir, signalledAt);
      assert.notEqual(stuck.closedAt, undefined);
      assert.ok(tookMs >= 1000 && tookMs < 5000, `exit after ${tookMs} ms`);
      const [warning] = server.logLines(/^shutdown timeout/);
      assert.equal(warning?.forced, 1, server.stdout());
      measured.push(
        `--workers ${workers}, --shutdown-timeout 1s, one request never finished: forced, exit 0 after ${tookMs} ms`,
      );
    });
  }

  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: a keep-alive client looping through SIGTERM sees no reset`, async () => {
      // More rounds with workers: their two-step shutdown has more moments to get wrong.
      const rounds = workers === '1' ? 1 : 2;
      for (let round = 0; round < rounds; round += 1) {
        const server = await launch(tmp.db, ['--workers', workers, ...NO_LIMIT]);
        const agent = new Agent({ keepAlive: true, maxSockets: 4 });
        let signalledAt = 0;
        const before: Outcome[] = [];
        const afterSignal: Outcome[] = [];
        // Four loops, each sending its next request as soon as the last is answered, on the
        // agent's kept-alive connections, until the server refuses a connection.
        const loop = async (): Promise<void> => {
          for (;;) {
            const outcome = await tokenThrough(agent, server.port, app);
            (signalledAt === 0 ? before : afterSignal).push(outcome);
            if ('error' in outcome) return;
          }
        };
        const loops = Promise.all([loop(), loop(), loop(), loop()]);
        await waitFor(() => before.length >= 40, 'requests flowing');
        signalledAt = Date.now();
        server.process.kill('SIGTERM');
        await loops;
        agent.destroy();
        await assertStopped(server, tmp.dir, signalledAt);

        assert.ok(
          before.every((outcome) => 'status' in outcome && outcome.status === 200),
          JSON.stringify(before.filter((outcome) => !('status' in outcome) || outcome.status !== 200)),
        );
        const errors = afterSignal.flatMap((outcome) => ('error' in outcome ? [outcome.error] : []));
        // Every request either completed or was refused on a new connection, never sent.
        assert.deepEqual([...new Set(errors)], ['ECONNREFUSED'], `errors: ${errors.join(' ')}`);
        const answered = afterSignal.filter((outcome) => 'status' in outcome);
        assert.ok(
          answered.every((outcome) => 'status' in outcome && outcome.status === 200),
          JSON.stringify(answered),
        );
        const closing = answered.filter(
          (outcome) => 'status' in outcome && outcome.headers.connection === 'close',
        );
        // Each of the four kept-alive connections ended with a response saying so.
        assert.ok(closing.length >= 1, 'no response said Connection: close');
        measured.push(
          `--workers ${workers} round ${round + 1}: ${before.length} requests before SIGTERM, ${answered.length} answered after it (${closing.length} with Connection: close), ${errors.length} refused on a new connection, 0 reset`,
        );
      }
    });
  }
});
