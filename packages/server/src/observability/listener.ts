/**
 * The metrics listener (`--metrics-host`, `--metrics-port`): a plain node:http server of its own,
 * apart from the public port, answering `GET /metrics` and nothing else, so metrics are never
 * public by accident. In a single process it serves that process's registry; with workers the
 * primary serves it, aggregating the workers' (cluster.ts).
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError, Errors } from '../contract/errors.js';
import { METRICS_PATH } from '../contract/paths.js';
import { listenError } from '../http/connections.js';
import { baseUrl } from '../tokens/issuer.js';

/** Most connections the metrics listener keeps open (a scraper needs one). */
const MAX_METRICS_CONNECTIONS = 64;

/** A listening metrics server. */
export interface MetricsListener {
  /** Where the metrics are, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Renders the metrics on each scrape: the content type and the text. */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

const invalidMethod = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use GET)');

/**
 * Listens on `host:port` for `GET /metrics` (and `HEAD`), answered by `render`. Rejects with one
 * clear line (`cannot listen on 127.0.0.1:9464 for metrics (--metrics-port): the address is
 * already in use …`) when it cannot listen.
 */
export async function listenForMetrics(
  host: string,
  port: number,
  render: MetricsRenderer,
  logger: Pick<Logger, 'error'>,
): Promise<MetricsListener> {
  const server = createServer((request, response) => answer(request, response, render, logger));
  server.maxConnections = MAX_METRICS_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      const message = listenError(error, host, port).message.replace(
        /^cannot listen on (\S+):/,
        'cannot listen on $1 for metrics (--metrics-port):',
      );
      reject(new Error(message, { cause: error }));
    });
    server.listen({ host, port }, () => resolve());
  });
  server.on('error', (error) => logger.error({ err: error }, 'metrics listener error'));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `${baseUrl(host, bound)}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  render: MetricsRenderer,
  logger: Pick<Logger, 'error'>,
): void {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  response.setHeader('cache-control', 'no-store');
  if (path !== METRICS_PATH) {
    send(response, 404, 'application/json; charset=utf-8', Errors.notFound.body);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'application/json; charset=utf-8', invalidMethod.body);
    return;
  }
  render().then(
    // HEAD: Node sends the headers (the length included) and no body.
    ({ contentType, body }) => send(response, 200, contentType, body),
    (error: unknown) => {
      logger.error({ err: error }, 'cannot render the metrics');
      send(response, 500, 'application/json; charset=utf-8', Errors.serverError.body);
    },
  );
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.statusCode = status;
  response.setHeader('content-type', contentType);
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}
