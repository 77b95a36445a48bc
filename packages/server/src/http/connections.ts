/**
 * The server's connections, per process: the timeouts Node enforces on them (idle keep-alive,
 * request headers, whole request), a cap on how many are open at once, the counters metrics read
 * ({@link connectionStats}), and the drain of a graceful shutdown ({@link ConnectionGuard.drain}).
 *
 * At the cap a new connection is not refused while some connection sits idle (no request in
 * flight: an idle keep-alive connection, or one that has not sent a whole request head yet): the
 * one idle the longest is closed to make room. Sockets opened and left idle by the thousand thus
 * cannot lock legitimate clients out, and the process never runs out of file descriptors. Only
 * when every open connection has a request in flight is the new one closed at once.
 *
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { type ConnectionsConfig, DEFAULTS } from '../config/options.js';

/** The timeouts of {@link ConnectionsConfig}. */
export type ConnectionTimeouts = Pick<
  ConnectionsConfig,
  'keepAliveTimeoutMs' | 'headersTimeoutMs' | 'requestTimeoutMs'
>;

/** The timeouts of `serve` when no flag or variable sets them. */
export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = {
  keepAliveTimeoutMs: Number(DEFAULTS.keepAliveTimeoutMs),
  headersTimeoutMs: Number(DEFAULTS.headersTimeoutMs),
  requestTimeoutMs: Number(DEFAULTS.requestTimeoutMs),
};

/**
 * During a drain, an idle connection whose last response left less than this long ago (or that
 * was accepted less than this long ago) is given the rest of it before being closed: its client
 * may be sending its next request right now, and closing under it would reset that request. A
 * request that does arrive is answered, with `Connection: close`. Others are closed at once.
 */
export const DRAIN_IDLE_GRACE_MS = 1000;

/** Counters of this process's connections, since it started (every server of the process). */
export interface ConnectionStats {
  /** Connections open now. */
  open: number;
  /** Connections accepted. */
  accepted: number;
  /** Idle connections closed to make room for a new one at the cap (`--max-connections`). */
  evicted: number;
  /** New connections closed at once: at the cap, with every open connection busy. */
  refused: number;
  /** Connections closed because a request's headers or body did not arrive in time. */
  timedOut: number;
  /** Connections closed with a request still in flight when a shutdown's drain ran out of time. */
  forcedAtShutdown: number;
  /** Connections the operating system could not hand over (`accept` failed, e.g. out of files). */
  acceptErrors: number;
  /** The cap of open connections (`--max-connections`; 0 before a server runs). */
  max: number;
}

const stats: ConnectionStats = {
  open: 0,
  accepted: 0,
  evicted: 0,
  refused: 0,
  timedOut: 0,
  forcedAtShutdown: 0,
  acceptErrors: 0,
  max: 0,
};

/** This process's connection counters (read-only: {@link ConnectionGuard} keeps them). */
export const connectionStats: Readonly<ConnectionStats> = stats;

/**
 * The Fastify options that apply `timeouts` (spread into `Fastify({...})`). Node checks the
 * headers and request timeouts every `connectionsCheckingInterval`, here a quarter of the
 * shorter one (at most a second), so a connection outlives its timeout by at most that.
 * Fastify's own closing of idle connections is off: {@link ConnectionGuard.drain} does it.
 */
export function fastifyConnectionOptions(timeouts: ConnectionTimeouts = DEFAULT_CONNECTION_TIMEOUTS) {
  const { keepAliveTimeoutMs, headersTimeoutMs, requestTimeoutMs } = timeouts;
  const checkEveryMs = Math.min(
    1000,
    Math.max(10, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)),
  );
  return {
    keepAliveTimeout: keepAliveTimeoutMs,
    requestTimeout: requestTimeoutMs,
    forceCloseConnections: false,
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
    },
  } as const;
}

/**
 * The error of a server that cannot listen, with one clear line for the operator
 * (`cannot listen on 127.0.0.1:8080: the address is already in use ...`).
 */
export function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const reasons: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (another server on this port?)',
    EACCES: 'permission denied (a port below 1024 needs privileges)',
    EADDRNOTAVAIL: 'the address is not one of this machine',
    ENOTFOUND: 'the host name does not resolve',
  };
  const reason =
    (code === undefined ? undefined : reasons[code]) ??
    (error instanceof Error ? error.message : String(error));
  return new Error(`cannot listen on ${where}: ${reason}`, { cause: error });
}

/** One open connection. */
interface Tracked {
  readonly socket: Socket;
  /** Responses not finished yet (more than one only with pipelining). */
  readonly inFlight: Set<ServerResponse>;
  /** When it was accepted, or its last response finished (ms). */
  lastActive: number;
  /** During a drain: closes it once idle for {@link DRAIN_IDLE_GRACE_MS}. */
  drainTimer: NodeJS.Timeout | undefined;
}

/** Options of {@link ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Most open connections (`--max-connections`). */
  readonly maxConnections: number;
  /** Where the limit and shutdown lines go. */
  readonly logger: Logger;
  /** The clock (ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** How often, at most, the connection limit is logged (one line with the counts since the last). */
const LIMIT_LOG_INTERVAL_MS = 1000;

/**
 * Keeps the connections of one HTTP server: their count under the cap, their state (idle or
 * with a request in flight) and the drain of a shutdown. Attach it before the server listens.
 */
export class ConnectionGuard {
  /** Connections with no request in flight, the one idle the longest first. */
  private readonly idle = new Map<Socket, Tracked>();
  /** Connections with a request in flight. */
  private readonly busy = new Map<Socket, Tracked>();
  private readonly maxConnections: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private draining = false;
  private drained: Promise<number> | undefined;
  private onEmpty: (() => void) | undefined;
  /** Limit events not logged yet, and the timer that logs them. */
  private readonly unreported = { evicted: 0, refused: 0, acceptErrors: 0, lastError: '' };
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: Server,
    options: ConnectionGuardOptions,
  ) {
    this.maxConnections = options.maxConnections;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    stats.max = options.maxConnections;
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    // Before Fastify's own listener: a response of a drain must know it closes its connection.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
      this.onRequest(request, response),
    );
    // Fastify's handler answers these; this one only counts the timeouts.
    server.on('clientError', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') stats.timedOut += 1;
    });
    server.on('error', (error: NodeJS.ErrnoException) => this.onServerError(error));
  }

  /** Open connections of this server. */
  get size(): number {
    return this.idle.size + this.busy.size;
  }

  /**
   * Stops accepting connections: the listening socket closes (in a cluster worker, this worker
   * leaves the shared one). Open connections are left alone; {@link drain} closes them.
   */
  stopAccepting(): void {
    // Not http.Server#close: that also destroys every idle keep-alive connection at once,
    // resetting a request its client may be sending on it at that very moment.
    if (this.server.listening) NetServer.prototype.close.call(this.server);
  }

  /**
   * The graceful end of every connection: stops accepting; answers every request in flight, or
   * arriving on an open connection, with `Connection: close` and closes the connection after
   * it; closes idle connections (after {@link DRAIN_IDLE_GRACE_MS} for one that was active just
   * now); after `timeoutMs`, closes whatever is left. Resolves with the number of connections
   * that were closed with a request still in flight (0: a clean drain).
   */
  drain(timeoutMs: number): Promise<number> {
    this.drained ??= new Promise<number>((resolve) => {
      this.draining = true;
      this.stopAccepting();
      this.logger.info(
        { open: this.size, busy: this.busy.size, shutdownTimeoutMs: timeoutMs },
        'draining connections',
      );
      for (const tracked of this.busy.values()) {
        for (const response of tracked.inFlight) closeAfter(response);
      }
      for (const tracked of [...this.idle.values()]) this.closeWhenQuiet(tracked);
      const finish = (forced: number): void => {
        clearTimeout(deadline);
        this.onEmpty = undefined;
        this.report();
        resolve(forced);
      };
      const deadline = setTimeout(() => {
        const forced = this.busy.size;
        stats.forcedAtShutdown += forced;
        for (const tracked of [...this.busy.values(), ...this.idle.values()]) {
          this.forget(tracked);
          tracked.socket.destroy();
        }
        finish(forced);
      }, timeoutMs);
      this.onEmpty = () => finish(0);
      if (this.size === 0) finish(0);
    });
    return this.drained;
  }

  private onConnection(socket: Socket): void {
    stats.accepted += 1;
    if (this.size >= this.maxConnections) {
      const oldest = this.idle.values().next().value;
      if (oldest === undefined) {
        stats.refused += 1;
        this.note('refused');
        socket.destroy();
        return;
      }
      stats.evicted += 1;
      this.note('evicted');
      this.forget(oldest);
      oldest.socket.destroy();
    }
    const tracked: Tracked = { socket, inFlight: new Set(), lastActive: this.now(), drainTimer: undefined };
    this.idle.set(socket, tracked);
    stats.open += 1;
    socket.once('close', () => {
      if (this.forget(tracked) && this.size === 0) this.onEmpty?.();
    });
    // Accepted during a drain (a cluster handed it over just before this worker stopped
    // accepting): its request, if one comes at once, is answered; then it closes.
    if (this.draining) this.closeWhenQuiet(tracked);
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    const tracked = this.idle.get(socket) ?? this.busy.get(socket);
    if (tracked === undefined) return;
    if (this.idle.delete(socket)) this.busy.set(socket, tracked);
    clearTimeout(tracked.drainTimer);
    tracked.inFlight.add(response);
    if (this.draining) closeAfter(response);
    response.once('close', () => {
      tracked.inFlight.delete(response);
      if (tracked.inFlight.size > 0 || !this.busy.delete(socket)) return;
      tracked.lastActive = this.now();
      this.idle.set(socket, tracked);
      if (this.draining) this.closeWhenQuiet(tracked);
    });
  }

  /** Closes an idle connection during a drain, once it has been idle for the grace period. */
  private closeWhenQuiet(tracked: Tracked): void {
    clearTimeout(tracked.drainTimer);
    const waitMs = tracked.lastActive + DRAIN_IDLE_GRACE_MS - this.now();
    if (waitMs <= 0) {
      tracked.socket.destroy();
      return;
    }
    tracked.drainTimer = setTimeout(() => {
      if (this.idle.get(tracked.socket) === tracked) tracked.socket.destroy();
    }, waitMs);
  }

  /** Stops tracking a connection; false when it was not tracked any more. */
  private forget(tracked: Tracked): boolean {
    clearTimeout(tracked.drainTimer);
    const known = this.idle.delete(tracked.socket) || this.busy.delete(tracked.socket);
    if (known) stats.open -= 1;
    return known;
  }

  private onServerError(error: NodeJS.ErrnoException): void {
    if (error.syscall === 'accept') {
      stats.acceptErrors += 1;
      this.unreported.lastError = error.code ?? error.message;
      this.note('acceptErrors');
    } else if (this.server.listening) {
      // A failure to listen is the listener's to report; anything later is logged here.
      this.logger.error({ err: error }, 'server error');
    }
  }

  /** Counts a limit event, logged with the others of the same second. */
  private note(kind: 'evicted' | 'refused' | 'acceptErrors'): void {
    this.unreported[kind] += 1;
    this.reportTimer ??= setTimeout(() => this.report(), LIMIT_LOG_INTERVAL_MS).unref();
  }

  /** Logs the limit events not logged yet, if any. */
  private report(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    const { evicted, refused, acceptErrors, lastError } = this.unreported;
    if (evicted > 0 || refused > 0) {
      this.logger.warn(
        { maxConnections: this.maxConnections, open: this.size, evicted, refused },
        `connection limit reached (${this.maxConnections} per process): closed ${evicted} idle connection(s) to make room, refused ${refused} new one(s)`,
      );
    }
    if (acceptErrors > 0) {
      this.logger.error(
        { acceptErrors, code: lastError, open: this.size },
        `could not accept ${acceptErrors} connection(s): ${lastError} (lower --max-connections or raise the open-file limit)`,
      );
    }
    Object.assign(this.unreported, { evicted: 0, refused: 0, acceptErrors: 0, lastError: '' });
  }
}

/** Makes a response close its connection (`Connection: close`), unless its head is already sent. */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.shouldKeepAlive = false;
}
