// What every target shares: how its server process is spawned (pinned to a core), how we learn it is
// ready, and the token check that refuses to benchmark anything but real 200 + access_token answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One set of client credentials (Application ID + Secret). */
export interface Credential {
  id: string;
  secret: string;
}

export type TargetName = 'ceiling' | 'ours' | 'oidc-provider' | 'oauth2-server';
export const TARGET_NAMES: readonly TargetName[] = ['ceiling', 'ours', 'oidc-provider', 'oauth2-server'];

/** A server under test, up and answering. */
export interface RunningTarget {
  name: string;
  pid: number;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:40123 (the token endpoint is POST `${url}/oauth/token`). */
  url: string;
  credentials: Credential[];
  /** Milliseconds from spawn until the server said it listens (or its port accepted a connection). */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** CPU to pin the server to with taskset; undefined = no pinning. */
  cpu: number | undefined;
  /** Absolute path of taskset (null = not available). */
  taskset: string | null;
  /** A scratch directory the target may use (databases, key files). */
  tmpDir: string;
}

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_DIR = join(BENCH_DIR, '..');

/** True when the module with this import.meta.url is the process entry point. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === metaUrl;
}

/** `Authorization: Basic …` for a credential, form-urlencoding id and secret first (RFC 6749 §2.3.1). */
export function basicAuth({ id, secret }: Credential): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** An ephemeral loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Wraps a command with `taskset -c <cpu>` when pinning is possible (taskset execs: the pid stays the server's). */
export function pinned(
  cpu: number | undefined,
  taskset: string | null,
  command: string,
  args: string[],
): [string, string[]] {
  if (cpu === undefined || taskset === null) return [command, args];
  return [taskset, ['-c', String(cpu), command, ...args]];
}

export interface SpawnServerOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  cpu: number | undefined;
  taskset: string | null;
  /** Port to poll as a readiness fallback, when known in advance. */
  port?: number;
  /** Called with each output line; return a value to signal readiness. */
  ready: (line: string) => { port: number; extra?: unknown } | undefined;
  timeoutMs?: number;
  label: string;
}

export interface SpawnedServer {
  child: ChildProcess;
  pid: number;
  port: number;
  extra: unknown;
  startupMs: number;
  /** Everything the server printed so far (for error messages). */
  output(): string;
  stop(): Promise<void>;
}

// Every server still running, so an interrupted benchmark does not leave them behind.
const live = new Set<ChildProcess>();
let cleanupInstalled = false;
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** Spawns a server process and resolves once it is ready (by its own output line, or its port answering). */
export async function spawnServer(opts: SpawnServerOptions): Promise<SpawnedServer> {
  const [command, args] = pinned(opts.cpu, opts.taskset, opts.command, opts.args);
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: opts.cwd ?? BENCH_DIR,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installCleanup();
  live.add(child);
  child.once('exit', () => live.delete(child));
  let log = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<SpawnedServer>((resolve, reject) => {
    let settled = false;
    let poller: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, port?: number, extra?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      if (poller) clearInterval(poller);
      // Once ready, stop scanning output (it would cost CPU during the load); keep only draining it.
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.stdout?.resume();
      child.stderr?.resume();
      if (err || port === undefined || child.pid === undefined) {
        void stop();
        reject(err ?? new Error(`${opts.label}: no pid/port`));
        return;
      }
      resolve({
        child,
        pid: child.pid,
        port,
        extra,
        startupMs: performance.now() - started,
        output: () => log,
        stop,
      });
    };
    const timeout = setTimeout(
      () => finish(new Error(`${opts.label}: not ready after ${opts.timeoutMs ?? 60_000} ms\n${log}`)),
      opts.timeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (log.length < 64_000) log += text;
      for (const line of text.split('\n')) {
        const hit = opts.ready(line);
        if (hit) finish(null, hit.port, hit.extra);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => finish(err));
    child.once('exit', (code, signal) =>
      finish(new Error(`${opts.label}: exited early (code ${code}, signal ${signal})\n${log}`)),
    );
    if (opts.port !== undefined) {
      const port = opts.port;
      let busy = false;
      poller = setInterval(() => {
        if (busy) return;
        busy = true;
        void portAccepts(port).then((ok) => {
          busy = false;
          if (ok) finish(null, port);
        });
      }, 25);
    }
  });
}

/**
 * Spawns one of our TypeScript target scripts (`node --import tsx <file>`), which prints
 * `READY {"port":…,"credentials":[…]}` once listening.
 */
export async function spawnTsTarget(
  label: string,
  file: string,
  opts: StartOptions,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningTarget> {
  const server = await spawnServer({
    label,
    command: process.execPath,
    args: ['--import', 'tsx', file],
    env,
    cpu: opts.cpu,
    taskset: opts.taskset,
    ready: (line) => {
      if (!line.startsWith('READY ')) return undefined;
      const info = JSON.parse(line.slice(6)) as { port: number; credentials: Credential[] };
      return { port: info.port, extra: info.credentials };
    },
  });
  return {
    name: label,
    pid: server.pid,
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    credentials: server.extra as Credential[],
    startupMs: server.startupMs,
    stop: server.stop,
  };
}

/** Called by a target script once it listens. */
export function announceReady(port: number, credentials: Credential[]): void {
  process.stdout.write(`READY ${JSON.stringify({ port, credentials })}\n`);
}

export interface TokenCheck {
  status: number;
  tokenType: string | undefined;
  expiresIn: number | undefined;
  scope: string | undefined;
  /** `alg` and `typ` of the access token's JOSE header, when it is a JWT. */
  jwtAlg: string | undefined;
  jwtTyp: string | undefined;
}

/**
 * Asks the target for a real token: POST /oauth/token with Basic auth and grant_type=client_credentials.
 * Throws unless the answer is 200 with an `access_token` (and, if `requireJwt`, a three-part JWT).
 */
export async function checkToken(
  url: string,
  credential: Credential,
  requireJwt = true,
): Promise<TokenCheck> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credential),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token check: HTTP ${res.status}, body ${text.slice(0, 300)}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`token check: response is not JSON: ${text.slice(0, 300)}`);
  }
  const token = body.access_token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new Error(`token check: no access_token in ${text.slice(0, 300)}`);
  }
  let jwtAlg: string | undefined;
  let jwtTyp: string | undefined;
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      jwtAlg = typeof header.alg === 'string' ? header.alg : undefined;
      jwtTyp = typeof header.typ === 'string' ? header.typ : undefined;
    } catch {
      // not a JWT after all
    }
  }
  if (requireJwt && jwtAlg === undefined) throw new Error(`token check: access_token is not a JWT: ${token}`);
  return {
    status: res.status,
    tokenType: typeof body.token_type === 'string' ? body.token_type : undefined,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : undefined,
    scope: typeof body.scope === 'string' ? body.scope : undefined,
    jwtAlg,
    jwtTyp,
  };
}
