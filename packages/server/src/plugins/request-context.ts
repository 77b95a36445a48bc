import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Fastify `genReqId`: echoes an incoming `X-Request-Id` only when it is a short safe token
 * (so it cannot inject anything into headers or logs), otherwise makes a UUID.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Adds `X-Request-Id` and `X-Response-Time` to every response (404, 405 and errors included)
 * and, at debug level only, one log line per request.
 */
export function registerRequestContext(app: FastifyInstance): void {
  // One onSend hook for both headers: every response that Fastify sends passes through it
  // (early answers of onRequest hooks, 404, errors), and each hook costs per request.
  // Errors raised before routing skip hooks; frameworkErrorHandler sets both itself.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-response-time', `${reply.elapsedTime.toFixed(2)}ms`);
    done(null, payload);
  });
  const level = app.log.level;
  const perRequestLines = level === 'debug' || level === 'trace';
  if (!perRequestLines) {
    // Fastify makes a pino child logger (with the request ID bound) for every request;
    // with redaction that costs a few percent of a token request. Below debug level a request
    // logs nothing unless something goes wrong, so the child is made on first use only.
    deferChildren(app.log);
    return;
  }
  app.addHook('onResponse', (request, reply, done) => {
    // Method, matched route and status only: never headers (Authorization), bodies or the
    // raw URL (a client may paste a secret into a path or query string).
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        statusCode: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
    done();
  });
}

type LogMethod = (...args: unknown[]) => void;

/**
 * A request logger that creates its pino child (`logger.child(bindings)`) on the first log
 * call: the lines it writes are exactly the child's, and requests that log nothing (all of
 * them, normally) pay for one small object instead of a child logger.
 */
class DeferredChildLogger {
  private instance: FastifyBaseLogger | undefined;
  private readonly parent: FastifyBaseLogger;
  private readonly makeChild: MakeChild;
  private readonly bindings: Bindings;
  private readonly options: ChildLoggerOptions | undefined;

  constructor(
    parent: FastifyBaseLogger,
    makeChild: MakeChild,
    bindings: Bindings,
    options: ChildLoggerOptions | undefined,
  ) {
    this.parent = parent;
    this.makeChild = makeChild;
    this.bindings = bindings;
    this.options = options;
  }

  get level(): string {
    return this.instance?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    if (this.skips('fatal')) return;
    (this.real().fatal as LogMethod)(...args);
  }

  error(...args: unknown[]): void {
    if (this.skips('error')) return;
    (this.real().error as LogMethod)(...args);
  }

  warn(...args: unknown[]): void {
    if (this.skips('warn')) return;
    (this.real().warn as LogMethod)(...args);
  }

  info(...args: unknown[]): void {
    if (this.skips('info')) return;
    (this.real().info as LogMethod)(...args);
  }

  debug(...args: unknown[]): void {
    if (this.skips('debug')) return;
    (this.real().debug as LogMethod)(...args);
  }

  trace(...args: unknown[]): void {
    if (this.skips('trace')) return;
    (this.real().trace as LogMethod)(...args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  // A line below the logger's level is dropped without making the child (a 401 flood logs
  // "client authentication failed" at debug on every request).
  private skips(level: string): boolean {
    if (this.instance !== undefined) return false;
    const parent = this.parent as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
    return parent.isLevelEnabled?.(level) === false;
  }

  private real(): FastifyBaseLogger {
    this.instance ??= this.makeChild(this.bindings, this.options);
    return this.instance;
  }
}

type MakeChild = (bindings: Bindings, options?: ChildLoggerOptions) => FastifyBaseLogger;

/**
 * Makes `logger.child()` return {@link DeferredChildLogger}s. Fastify's default child logger
 * factory calls `logger.child()` for every request; this replaces the method on the logger
 * rather than using `setChildLoggerFactory`, because Fastify checks what a custom factory returns
 * method by method on every request (about 1% of a token request).
 */
function deferChildren(logger: FastifyBaseLogger): void {
  const makeChild: MakeChild = logger.child.bind(logger);
  logger.child = (bindings, options) =>
    new DeferredChildLogger(logger, makeChild, bindings, options) as unknown as FastifyBaseLogger;
}
