// A real load balancer: Debian's nginx, configured with the server README's nginx block, in front
// of two instances started with the README's `serve --redis --trust-proxy` lines (one with two
// workers, one with one), on one fresh PostgreSQL schema and a Redis server of the test's own,
// everything on free ports. Through the balancer: the per-application limit is shared, the
// per-IP failure limit follows the real client (several loopback source addresses), a forged
// X-Forwarded-For moves nothing, and a Redis killed and restarted mid-run costs no request.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  BIN,
  basic,
  childPids,
  collectOutput,
  FORM,
  freePort,
  parseJson,
  runInProcess,
  type TestApplication,
} from './helpers.js';
import { PrivateRedis } from './redis-fixture.js';
import { PostgresTestSchemas } from './storage-postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const README = join(ROOT, 'packages', 'server', 'README.md');
const SECTION = 'Run several instances';

/** nginx: on PATH, else Debian's /usr/sbin (not on a non-root user's PATH); SMSCX_TEST_NGINX wins. */
const NGINX = process.env.SMSCX_TEST_NGINX ?? onPath('nginx') ?? '/usr/sbin/nginx';

const RATE_LIMIT = 5;
const FAILURE_LIMIT = 3;

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The fenced blocks of language `lang` in the README section "Run several instances", in order. */
function readmeBlocks(lang: string): string[] {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(`\n## ${SECTION}\n`);
  assert.ok(start >= 0, `the server README has a "## ${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const fence = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...readme.slice(start, end).matchAll(fence)].map((match) => match[1]!);
}

/** `text` with `from` replaced by `to` everywhere; `from` must occur (a README edit fails loudly). */
function substitute(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `expected "${from}" in the README block:\n${text}`);
  return text.replaceAll(from, to);
}

/** A server instance started from a README line. */
interface Instance {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it (its primary and workers) wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** The processes that serve requests (and count in Redis): the workers, or the one process. */
  servingPids(): number[];
}

/**
 * Starts one README `serve` line in its own process group, added to `started` at once (so it is
 * stopped even if it never listens); resolves once it prints `listening on`.
 */
function startInstance(
  command: string,
  port: number,
  env: NodeJS.ProcessEnv,
  started: Instance[],
): Promise<Instance> {
  const child = spawn('bash', ['-c', `exec ${command}`], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const instance: Instance = {
    port,
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    servingPids: () => {
      const workers = childPids(child.pid!);
      return workers.length > 0 ? workers : [child.pid!];
    },
  };
  started.push(instance);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`"${command}" did not listen:\n${output.stdout}${output.stderr}`)),
      30_000,
    );
    child.stdout!.on('data', () => {
      if (!/listening on /.test(output.stdout)) return;
      clearTimeout(timer);
      resolve(instance);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`"${command}" exited (${code}) before listening:\n${output.stdout}${output.stderr}`));
    });
  });
}

/** Stops a process group's leader with `signal` (SIGKILL to the group after 15 s); its exit code. */
async function stopGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 15_000);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** The pino lines of `stdout` whose message starts with `prefix`, as `pid`s in order. */
function logged(stdout: string, prefix: string): number[] {
  const pids: number[] = [];
  for (const line of stdout.split('\n')) {
    const entry = parseJson(line) as { msg?: unknown; pid?: unknown } | undefined;
    if (typeof entry?.msg === 'string' && entry.msg.startsWith(prefix)) pids.push(Number(entry.pid));
  }
  return pids;
}

const UNREACHABLE = 'Redis is unreachable';
const ANSWERS_AGAIN = 'Redis answers again';

/** One token answer. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: unknown;
  /** Which instance nginx passed it to (`X-Upstream`, added by the test's http context). */
  readonly upstream: string | undefined;
}

interface TokenRequest {
  /** Source address of the connection (any of 127/8 reaches 127.0.0.1 over lo). */
  readonly from?: string;
  readonly secret?: string;
  readonly forwardedFor?: string;
}

/** `POST /oauth/token` to 127.0.0.1:`port` on a new connection from `from`. */
function token(
  port: number,
  app: Pick<TestApplication, 'application_id' | 'application_secret'>,
  options: TokenRequest = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: basic(app.application_id, options.secret ?? app.application_secret),
    'content-type': FORM,
  };
  if (options.forwardedFor !== undefined) headers['x-forwarded-for'] = options.forwardedFor;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/oauth/token',
        method: 'POST',
        headers,
        agent: false,
        ...(options.from === undefined ? {} : { localAddress: options.from }),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const upstream = res.headers['x-upstream'];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: parseJson(Buffer.concat(chunks).toString('utf8')),
            upstream: typeof upstream === 'string' ? upstream : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end('grant_type=client_credentials');
  });
}

/** The `iss` claim of a token answer. */
function issuerOf(answer: Answer): unknown {
  const jwt = (answer.json as { access_token: string }).access_token;
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')).iss;
}

/** Resolves once `check()` holds, polled every 20 ms; fails after `timeoutMs` saying `what`. */
async function until(check: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('behind nginx: two instances sharing rate limits in Redis (README "Behind a load balancer")', () => {
  const schemas = new PostgresTestSchemas();
  const dir = mkdtempSync(join(tmpdir(), 'smscx-load-balancer-'));
  let redis: PrivateRedis | undefined;
  const instances: Instance[] = [];
  let nginx: ChildProcess | undefined;
  let nginxOutput = '';
  let nginxPort = 0;
  let upstreams: string[] = [];
  const apps = new Map<string, TestApplication>();

  /** An application made before the servers started. */
  const app = (name: string): TestApplication => {
    const made = apps.get(name);
    assert.ok(made !== undefined, name);
    return made;
  };

  before(async () => {
    await schemas.check();
    const db = schemas.freshUrl();
    const pepper = join(dir, 'pepper');
    const dbFlags = ['--db', db, '--pepper-file', pepper];
    // As the README prepares the database: schema, pepper and key first, applications before
    // any server starts.
    const keys = await runInProcess(['keys', 'rotate', ...dbFlags]);
    assert.equal(keys.status, 0, keys.stderr);
    for (const name of ['shared', 'failures', 'stream', 'outage', 'recovered']) {
      const made = await runInProcess(['apps', 'create', '--name', name, '--json', ...dbFlags]);
      assert.equal(made.status, 0, made.stderr);
      apps.set(name, JSON.parse(made.stdout) as TestApplication);
    }

    redis = await PrivateRedis.start();
    const [port1, port2, balancerPort] = [await freePort(), await freePort(), await freePort()];
    nginxPort = balancerPort;
    upstreams = [`127.0.0.1:${port1}`, `127.0.0.1:${port2}`];

    // The README's serve lines, on this test's ports, Redis and balancer; the second instance
    // with one worker to spare CPU (so both the cluster and the single-process path are covered).
    const serveBlock = readmeBlocks('sh').find((block) => block.includes('--redis'));
    assert.ok(serveBlock !== undefined, 'an sh block with the --redis serve lines');
    const lines = serveBlock.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 2, serveBlock);
    const localize = (line: string): string => {
      let local = substitute(line, 'npx smscx-oauth-server', `'${process.execPath}' '${BIN}'`);
      local = substitute(local, 'redis://127.0.0.1:6379', redis!.url);
      assert.match(local, /--trust-proxy 127\.0\.0\.1( |$)/, 'nginx connects from 127.0.0.1');
      return substitute(local, '127.0.0.1:8080', `127.0.0.1:${nginxPort}`);
    };
    const commands = [
      substitute(localize(lines[0]!), '--port 8081', `--port ${port1}`),
      substitute(
        substitute(localize(lines[1]!), '--port 8082', `--port ${port2}`),
        '--workers 2',
        '--workers 1',
      ),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('SMSCX_')) delete env[key];
    Object.assign(env, {
      SMSCX_DB: db,
      SMSCX_PEPPER_FILE: pepper,
      SMSCX_RATE_LIMIT: `${RATE_LIMIT}/60`,
      SMSCX_AUTH_FAILURE_LIMIT: `${FAILURE_LIMIT}/60`,
      // The default 50 ms is for production; on a loaded test machine a process that gets no CPU
      // for 50 ms would see a slow Redis as an outage and count on its own for a moment. A kill
      // drops the connections, which is seen at once whatever the timeout.
      SMSCX_REDIS_TIMEOUT_MS: '2000',
    });
    await Promise.all([
      startInstance(commands[0]!, port1, env, instances),
      startInstance(commands[1]!, port2, env, instances),
    ]);

    // The README's nginx block on this test's ports, inside the minimal main and http context a
    // private nginx needs (no root, nothing outside the temp folder), which also names the
    // instance that answered each request.
    const nginxBlocks = readmeBlocks('nginx');
    assert.equal(nginxBlocks.length, 1, 'one nginx block');
    let site = substitute(nginxBlocks[0]!, '127.0.0.1:8081', upstreams[0]!);
    site = substitute(site, '127.0.0.1:8082', upstreams[1]!);
    site = substitute(site, 'listen 8080;', `listen 127.0.0.1:${nginxPort};`);
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        `pid ${join(dir, 'nginx.pid')};`,
        'error_log stderr warn;',
        'events { worker_connections 256; }',
        'http {',
        `  access_log ${join(dir, 'nginx-access.log')};`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `  ${kind}_temp_path ${join(dir, `nginx-${kind}`)};`,
        ),
        '  add_header X-Upstream $upstream_addr always;',
        site,
        '}',
        '',
      ].join('\n'),
    );
    nginx = spawn(
      NGINX,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off; master_process off;'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer): void => {
      nginxOutput += chunk.toString('utf8');
    };
    nginx.stdout!.on('data', collect);
    nginx.stderr!.on('data', collect);
    nginx.once('error', (error) => {
      nginxOutput += `\n${error.message}`;
    });
    const deadline = Date.now() + 15_000;
    while (!(await accepts(nginxPort))) {
      assert.ok(
        nginx.exitCode === null && nginx.signalCode === null,
        `nginx (${NGINX}) exited: ${nginxOutput}`,
      );
      assert.ok(Date.now() < deadline, `nginx (${NGINX}) not listening on ${nginxPort}: ${nginxOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  after(async () => {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    await attempt('nginx', async () => {
      if (nginx !== undefined) await stopGroup(nginx, 'SIGTERM');
    });
    for (const instance of instances) {
      await attempt(`instance on ${instance.port}`, async () => {
        const code = await stopGroup(instance.child, 'SIGTERM');
        assert.equal(code, 0, `exit code of the instance on ${instance.port}:\n${instance.stderr()}`);
      });
    }
    await attempt('redis', async () => redis?.close());
    await attempt('schemas', () => schemas.dropAll());
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'clean shutdown');
  });

  it('shares the per-application limit through the balancer: 4,3,2,1,0 across both instances, then 429', async () => {
    const shared = app('shared');
    const answers: Answer[] = [];
    for (let i = 0; i < RATE_LIMIT; i += 1) answers.push(await token(nginxPort, shared));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(RATE_LIMIT).fill(200),
    );
    assert.deepEqual(
      answers.map((answer) => answer.headers['x-rate-limit-remaining']),
      ['4', '3', '2', '1', '0'],
      'one budget, counted once per request whichever instance answers',
    );
    assert.deepEqual(
      answers.map((answer) => answer.headers['x-rate-limit-limit']),
      Array(RATE_LIMIT).fill(String(RATE_LIMIT)),
    );
    assert.deepEqual(
      [...new Set(answers.map((answer) => answer.upstream))].sort(),
      [...upstreams].sort(),
      'nginx passed requests to both instances',
    );
    for (const answer of answers) assert.equal(issuerOf(answer), `http://127.0.0.1:${nginxPort}`);

    const refused = await token(nginxPort, shared);
    assert.equal(refused.status, 429);
    assert.equal((refused.json as { error: { type: string } }).error.type, 'rate_limit');
    assert.equal(refused.headers['x-rate-limit-remaining'], '0');
    const now = Date.now() / 1000;
    const reset = Number(refused.headers['x-rate-limit-reset']);
    assert.ok(reset > now && reset <= now + 61, `X-Rate-Limit-Reset ${reset}, now ${now}`);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After ${retryAfter}`,
    );

    // Straight to each instance, past the balancer: the same spent budget.
    for (const instance of instances) {
      const direct = await token(instance.port, shared);
      assert.equal(direct.status, 429, `instance on ${instance.port}`);
    }
  });

  it('counts failed authentications per real client behind the balancer; a forged X-Forwarded-For moves nothing', async () => {
    const failures = app('failures');
    const [clientA, clientB, directSpoofer, proxiedSpoofer] = [
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
    ];

    /** FAILURE_LIMIT wrong secrets: each 401 with the budget left counting down to 0. */
    const spendBudget = async (port: number, request: TokenRequest, who: string): Promise<void> => {
      const left: unknown[] = [];
      for (let i = 0; i < FAILURE_LIMIT; i += 1) {
        const answer = await token(port, failures, { ...request, secret: 'wrong' });
        assert.equal(answer.status, 401, who);
        left.push(answer.headers['x-rate-limit-remaining']);
      }
      assert.deepEqual(left, ['2', '1', '0'], `${who}: one failure budget, counted once per failure`);
    };
    /** The right secret from a blocked client, through the balancer to both instances: 429 on each. */
    const assertBlocked = async (request: TokenRequest, who: string): Promise<void> => {
      const answers = [await token(nginxPort, failures, request), await token(nginxPort, failures, request)];
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [429, 429],
        `${who} is blocked, even with the right secret`,
      );
      assert.deepEqual(answers.map((answer) => answer.upstream).sort(), [...upstreams].sort(), who);
      for (const answer of answers) {
        assert.equal(answer.headers['x-rate-limit-limit'], String(FAILURE_LIMIT), who);
        assert.equal(answer.headers['x-rate-limit-remaining'], '0', who);
        assert.ok(Number(answer.headers['retry-after']) >= 1, `${who}: Retry-After`);
        assert.ok(answer.headers['x-rate-limit-reset'] !== undefined, `${who}: X-Rate-Limit-Reset`);
      }
    };

    await spendBudget(nginxPort, { from: clientA }, 'client A');
    await assertBlocked({ from: clientA }, 'client A');
    const other = await token(nginxPort, failures, { from: clientB });
    assert.equal(other.status, 200, 'client B, behind the same balancer, is not blocked');

    // A client the instances do not trust, straight to an instance, claiming to be B.
    await spendBudget(instances[0]!.port, { from: directSpoofer, forwardedFor: clientB }, 'direct spoofer');
    const direct = await token(instances[1]!.port, failures, { from: directSpoofer, forwardedFor: clientB });
    assert.equal(direct.status, 429, 'the direct spoofer spent its own budget, on every instance');
    // Through the balancer, claiming to be B: nginx appends the real address, which is what counts.
    await spendBudget(nginxPort, { from: proxiedSpoofer, forwardedFor: clientB }, 'spoofer through nginx');
    await assertBlocked({ from: proxiedSpoofer }, 'spoofer through nginx');

    const probe = await token(nginxPort, failures, { from: clientB, secret: 'wrong' });
    assert.equal(probe.status, 401);
    assert.equal(
      probe.headers['x-rate-limit-remaining'],
      String(FAILURE_LIMIT - 1),
      "client B's budget holds only its own failure",
    );
    assert.equal(
      (await token(nginxPort, failures, { from: clientB })).status,
      200,
      'client B still gets tokens',
    );
  });

  it('keeps answering while Redis is killed and restarted: no 5xx, one warning per process, then shared again', async () => {
    const stream = app('stream');
    const statuses: (number | string)[] = [];
    let streaming = true;
    // Two clients in a steady loop through the balancer, one request at a time each.
    const loop = async (): Promise<void> => {
      while (streaming) {
        try {
          statuses.push((await token(nginxPort, stream)).status);
        } catch (error) {
          statuses.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const loops = [loop(), loop()];
    const moreAnswers = async (count: number, when: string): Promise<void> => {
      const target = statuses.length + count;
      await until(
        () => statuses.length >= target,
        () => `${count} more answers ${when} (have ${statuses.length})`,
      );
    };
    const logs = (): string => instances.map((instance) => instance.stdout()).join('');
    const pids = instances.flatMap((instance) => instance.servingPids());
    assert.equal(pids.length, 3, 'two workers and one single-process instance');
    const everyProcessLogged = (prefix: string): boolean => {
      const seen = new Set(logged(logs(), prefix));
      return pids.every((pid) => seen.has(pid));
    };

    try {
      await moreAnswers(10, 'before the kill');
      assert.deepEqual(logged(logs(), UNREACHABLE), [], `no outage before Redis is killed:\n${logs()}`);
      const beforeKill = statuses.length;

      await redis!.kill();
      await until(
        () => everyProcessLogged(UNREACHABLE),
        () => `every serving process (${pids.join(', ')}) logs "${UNREACHABLE}":\n${logs()}`,
      );
      await moreAnswers(10, 'while Redis is away');
      // While Redis is away each instance counts on its own: a fresh application gets its whole
      // budget from the first instance and again from the second.
      const outage = app('outage');
      const first: Answer[] = [];
      for (let i = 0; i <= RATE_LIMIT; i += 1) first.push(await token(instances[0]!.port, outage));
      assert.deepEqual(
        first.map((answer) => [answer.status, answer.headers['x-rate-limit-remaining']]),
        [
          [200, '4'],
          [200, '3'],
          [200, '2'],
          [200, '1'],
          [200, '0'],
          [429, '0'],
        ],
        'per-instance limit on the first instance while Redis is away',
      );
      const second = await token(instances[1]!.port, outage);
      assert.deepEqual([second.status, second.headers['x-rate-limit-remaining']], [200, '4']);

      // Through the balancer too: the stream's budget was spent in Redis before the kill, and
      // each instance's own count gives it tokens again, at most the limit per instance.
      const issuedWhileAway = statuses.slice(beforeKill).filter((status) => status === 200).length;
      assert.ok(
        issuedWhileAway >= 1 && issuedWhileAway <= 2 * RATE_LIMIT,
        `tokens issued through the balancer while Redis is away: ${issuedWhileAway}`,
      );

      await redis!.restart();
      await until(
        () => everyProcessLogged(ANSWERS_AGAIN),
        () => `every serving process (${pids.join(', ')}) logs "${ANSWERS_AGAIN}":\n${logs()}`,
      );
      await moreAnswers(10, 'after Redis is back');

      // Shared again: a fresh application's budget counts down once across both instances,
      // asked in turn (straight, not through nginx, which may keep to one instance for a while
      // after the outage: the balancer's spread is test 1's).
      const recovered = app('recovered');
      const answers: Answer[] = [];
      for (let i = 0; i <= RATE_LIMIT; i += 1) answers.push(await token(instances[i % 2]!.port, recovered));
      assert.deepEqual(
        answers.map((answer) => [answer.status, answer.headers['x-rate-limit-remaining']]),
        [
          [200, '4'],
          [200, '3'],
          [200, '2'],
          [200, '1'],
          [200, '0'],
          [429, '0'],
        ],
        'one shared budget again',
      );
      assert.ok(statuses.length > beforeKill + 20, 'the stream went on throughout');
    } finally {
      streaming = false;
      await Promise.all(loops);
    }

    const unexpected = statuses.filter((status) => status !== 200 && status !== 429);
    assert.deepEqual(unexpected, [], `every request answered 200 or 429 (of ${statuses.length})`);
    const count = (prefix: string): Record<number, number> => {
      const counts: Record<number, number> = {};
      for (const pid of logged(logs(), prefix)) counts[pid] = (counts[pid] ?? 0) + 1;
      return counts;
    };
    const onePerProcess = Object.fromEntries(pids.map((pid) => [pid, 1]));
    assert.deepEqual(count(UNREACHABLE), onePerProcess, 'one outage warning per serving process');
    assert.deepEqual(count(ANSWERS_AGAIN), onePerProcess, 'one "answers again" line per serving process');
  });
});
