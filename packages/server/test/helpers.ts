// Shared helpers for the server's tests: requests and their assertions, for in-process servers
// (fixture.ts) and the black-box tests that run the real binary (built into dist/ by
// `npm run build -w packages/server`) against a real SQLite file in a temp folder, talking to
// it over loopback with raw node:http so malformed requests can be sent as-is.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/run.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The binary under test. */
export const BIN = resolve(here, '..', 'bin', 'smscx-oauth-server.js');

/** A fresh temp folder with a database path inside; `cleanup()` removes it. */
export function tempDb(): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-oauth-test-'));
  return {
    dir,
    db: join(dir, 'data', 'smscx-oauth.db'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Result of one CLI run. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the binary synchronously with `args`. A command that does not exit by itself within a
 * minute (normally: well under a second) throws, so no test can read a killed command's missing
 * output or status as a result and carry on.
 */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...cleanEnv(), ...env },
    timeout: 60_000,
  });
  if (result.error !== undefined || result.signal !== null) {
    const why = result.error?.message ?? `killed by ${result.signal}`;
    throw new Error(
      `smscx-oauth-server ${args.slice(0, 2).join(' ')} did not finish: ${why}\n${result.stderr}`,
    );
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('SMSCX_')) delete env[key];
  return env;
}

/**
 * Runs the command line in this process (`runCli`, the function the binary calls), with `env`
 * as its whole environment, and collects what it writes.
 */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: {
      write: (chunk: string) => {
        stdout += chunk;
      },
    },
    stderr: {
      write: (chunk: string) => {
        stderr += chunk;
      },
    },
    env,
  });
  return { status, stdout, stderr };
}

/** Credentials of an application made with `apps create --json`. */
export interface TestApplication {
  readonly application_id: string;
  readonly application_secret: string;
  readonly name: string;
  readonly scopes: string;
  readonly token_expiration: string;
}

/** Creates an application through the CLI and returns its JSON output. */
export function createApplication(db: string, extra: string[] = [], name = 'test'): TestApplication {
  const result = cli(['apps', 'create', '--db', db, '--name', name, '--json', ...extra]);
  if (result.status !== 0) throw new Error(`apps create failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as TestApplication;
}

/** A server process started from the binary. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /**
   * Resolves once `check(stdout so far)` holds, checked on every chunk the process writes;
   * rejects with the output when the process exits first or `timeoutMs` passes (a bound for a
   * broken server, not a wait: a working one answers long before).
   */
  waitForStdout(check: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** A child process's stdout and stderr, collected as text from the moment this is called. */
export interface CollectedOutput {
  stdout: string;
  stderr: string;
}

export function collectOutput(child: ChildProcess): CollectedOutput {
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  return output;
}

/**
 * Starts `serve --port 0 --db <db>` plus `args` and waits for the "listening on" line. One
 * process (`SMSCX_WORKERS=1`) unless `args` or `env` say otherwise: with several workers each
 * follows admin changes on its own, so "the new secret works" on one worker does not yet mean
 * "the old one fails" on the other (workers.test.ts covers the multi-process server).
 */
export async function startServer(
  db: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<TestServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, ...args], {
    env: { ...cleanEnv(), SMSCX_LOG_LEVEL: 'warn', SMSCX_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code, signal) => {
      if (signal !== null) output.stderr += `\n[killed by ${signal}]`;
      resolveExit(code);
    }),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${output.stdout}${output.stderr}`)),
      15_000,
    );
    const check = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(output.stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output.stdout}${output.stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitForStdout: (check, timeoutMs = 15_000) =>
      new Promise<void>((resolveWait, reject) => {
        const onData = (): void => {
          if (!check(output.stdout)) return;
          finish();
          resolveWait();
        };
        const onExit = (): void => {
          finish();
          reject(new Error(`server exited while waiting: ${output.stdout}${output.stderr}`));
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`not seen within ${timeoutMs} ms in stdout: ${output.stdout}${output.stderr}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
        };
        child.stdout!.on('data', onData);
        child.once('exit', onExit);
        onData();
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A raw HTTP response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/**
 * Where a test sends requests: a server's base URL (real HTTP over loopback), or an in-process
 * server (`fixture.ts`) that answers through `app.inject`.
 */
export type Target = string | { send(options: SendOptions): Promise<RawResponse> };

/** Sends one request with exactly the given method, headers and body. */
export function send(to: Target, options: SendOptions = {}): Promise<RawResponse> {
  if (typeof to !== 'string') return to.send(options);
  const target = new URL(options.path ?? '/oauth/token', to);
  return new Promise((resolveResponse, reject) => {
    const req = httpRequest(
      target,
      { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolveResponse({ status: res.statusCode ?? 0, headers: res.headers, body, json: parseJson(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** `Basic base64(id:secret)` (no form-encoding: IDs and generated secrets need none). */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** Form content type header. */
export const FORM = 'application/x-www-form-urlencoded';

/** Requests a token with the given credentials and form body. */
export function requestToken(
  url: Target,
  app: Pick<TestApplication, 'application_id' | 'application_secret'>,
  body = 'grant_type=client_credentials',
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return send(url, {
    headers: {
      authorization: basic(app.application_id, app.application_secret),
      'content-type': FORM,
      ...headers,
    },
    body,
  });
}

/** The SMS.CX error envelope. */
export interface Envelope {
  readonly error: {
    readonly type: string;
    readonly code: number;
    readonly message: string;
    readonly uri: string;
  };
}

/** Returns the envelope of an error response, throwing when the body is not one. */
export function envelope(response: RawResponse): Envelope['error'] {
  const body = response.json as Partial<Envelope> | undefined;
  const error = body?.error;
  if (
    error === undefined ||
    typeof error.type !== 'string' ||
    typeof error.code !== 'number' ||
    typeof error.message !== 'string' ||
    typeof error.uri !== 'string' ||
    Object.keys(body!).length !== 1
  ) {
    throw new Error(`not an error envelope (${response.status}): ${response.body}`);
  }
  return error;
}

/** Decodes the header and payload of a compact JWT (no verification). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** Parses a response body as JSON (undefined when it is not JSON). */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** PIDs of the live child processes of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may contain spaces, so read after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children.sort();
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Resolves once `fact` holds (checked every 10 ms); fails naming `what` when it still does not
 * after `timeoutMs`, a bound for a broken fact, never a wait the test relies on.
 */
export async function waitFor(
  fact: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fact())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The `default` application's credentials, as a first start writes them (see {@link defaultCredentials}). */
export interface DefaultCredentials {
  readonly application_id: string;
  readonly application_secret: string;
  readonly name: string;
  readonly scopes: string;
  readonly token_expiration: string;
  readonly token_url: string;
}

/**
 * The credentials of the `default` application a first start created, from its banner on
 * `stdout`: stdout is not a terminal in tests, so the banner names a 0600 file
 * (`Credentials file: <path>`) and this reads it. Throws when the banner is missing or still
 * holds the secret.
 */
export function defaultCredentials(stdout: string): DefaultCredentials {
  if (/Application Secret:/.test(stdout)) throw new Error(`the banner printed the secret:\n${stdout}`);
  const path = /Credentials file: +(\S+)/.exec(stdout)?.[1];
  if (path === undefined) throw new Error(`no first-start banner naming a credentials file:\n${stdout}`);
  return JSON.parse(readFileSync(path, 'utf8')) as DefaultCredentials;
}
