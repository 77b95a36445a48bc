// Helpers of the operations tests (start-up failures, connections, shutdown): the real binary,
// optionally under an open-file limit, real sockets, real signals, and facts to wait for.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { BIN, basic, collectOutput, FORM } from './helpers.js';

/** A server process of the binary, with what it printed and how it ended. */
export interface LaunchedServer {
  readonly process: ChildProcess;
  readonly url: string;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits: its code and signal, and `Date.now()` then. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Log lines (JSON) of stdout whose `msg` matches. */
  logLines(msg: RegExp): Array<Record<string, unknown>>;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('SMSCX_')) delete env[key];
  return env;
}

/**
 * Spawns `serve --port 0 --db <db> <args>` (`SMSCX_WORKERS=1` unless `args` say otherwise);
 * with `openFiles`, under that open-file limit (`ulimit -n` in a shell that then becomes the
 * server). Does not wait for anything: see {@link listening}.
 */
export function spawnServer(
  db: string,
  args: string[] = [],
  options: { openFiles?: number; env?: NodeJS.ProcessEnv } = {},
): { process: ChildProcess; stdout(): string; stderr(): string; exited: LaunchedServer['exited'] } {
  const argv = [BIN, 'serve', '--port', '0', '--db', db, ...args];
  const env = { ...cleanEnv(), SMSCX_LOG_LEVEL: 'info', SMSCX_WORKERS: '1', ...options.env };
  const child =
    options.openFiles === undefined
      ? spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, ...argv], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  const output = collectOutput(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { process: child, stdout: () => output.stdout, stderr: () => output.stderr, exited };
}

/** Waits for the `listening on` line of a spawned server (bound: 20 s, or its exit). */
export async function listening(spawned: ReturnType<typeof spawnServer>): Promise<LaunchedServer> {
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      // Killed, or its pipes would keep this test process alive after the failure.
      spawned.process.kill('SIGKILL');
      reject(new Error(`server did not start: ${spawned.stdout()}${spawned.stderr()}`));
    }, 20_000);
    const check = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(spawned.stdout());
      if (match === null) return;
      finish();
      resolve(match[1]!);
    };
    const finish = (): void => {
      clearTimeout(timer);
      spawned.process.stdout!.off('data', check);
    };
    spawned.process.stdout!.on('data', check);
    void spawned.exited.then(({ code }) => {
      finish();
      reject(new Error(`server exited with ${code}: ${spawned.stdout()}${spawned.stderr()}`));
    });
    check();
  });
  return {
    ...spawned,
    url,
    port: Number(new URL(url).port),
    logLines: (msg) =>
      spawned
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => typeof entry.msg === 'string' && msg.test(entry.msg)),
  };
}

/** Starts a server and waits until it listens. */
export function launch(
  db: string,
  args: string[] = [],
  options: { openFiles?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<LaunchedServer> {
  return listening(spawnServer(db, args, options));
}

/** PIDs of live processes whose command line contains `text` (e.g. a test's unique temp folder). */
export function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(text)) {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** A client socket and what happened to it. */
export interface WatchedSocket {
  readonly socket: Socket;
  /** `Date.now()` when it connected. */
  connectedAt: number;
  /** `Date.now()` when it closed, or undefined while open. */
  closedAt: number | undefined;
  /** Everything the server sent on it. */
  received: string;
  /** The error it ended with, if any (ECONNRESET, EPIPE...). */
  error: NodeJS.ErrnoException | undefined;
}

/** Opens a TCP connection to `port` and resolves once it is connected. */
export function openSocket(port: number): Promise<WatchedSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const watched: WatchedSocket = {
      socket,
      connectedAt: 0,
      closedAt: undefined,
      received: '',
      error: undefined,
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      watched.received += chunk;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      watched.error = error;
      if (watched.connectedAt === 0) reject(error);
    });
    socket.on('close', () => {
      watched.closedAt = Date.now();
    });
    socket.once('connect', () => {
      watched.connectedAt = Date.now();
      resolve(watched);
    });
  });
}

/**
 * The raw head of a token request (`Content-Length` as given; `extraHeaders`: more header lines,
 * each ending in CRLF). With `Expect: 100-continue`, the server's `100 Continue` tells that it
 * has read the head, and has the request in flight.
 */
export function tokenRequestHead(
  app: { application_id: string; application_secret: string },
  contentLength: number,
  extraHeaders = '',
): string {
  return (
    'POST /oauth/token HTTP/1.1\r\n' +
    'Host: 127.0.0.1\r\n' +
    `Authorization: ${basic(app.application_id, app.application_secret)}\r\n` +
    `Content-Type: ${FORM}\r\n` +
    `Content-Length: ${contentLength}\r\n` +
    `Connection: keep-alive\r\n${extraHeaders}\r\n`
  );
}

/** The form body of a token request. */
export const TOKEN_BODY = 'grant_type=client_credentials';

/** The outcome of one request through an agent: its status and headers, or the error code. */
export type Outcome =
  | { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: string }
  | { readonly error: string };

/** Sends one token request through `agent` (keep-alive), resolving with its outcome. */
export function tokenThrough(
  agent: Agent,
  port: number,
  app: { application_id: string; application_secret: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/oauth/token',
        agent,
        headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(TOKEN_BODY);
  });
}
