/**
 * A real HTTP server on loopback (port 0) whose answers the test scripts step by step, and which
 * records every request it received. Used for situations the real token server never produces
 * (HTML 502s, resets, malformed 200s, slow answers).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request. */
export type Step = (request: RecordedRequest, response: ServerResponse) => unknown;

export interface ScriptedServer {
  /** Base URL, e.g. http://127.0.0.1:12345 */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts the server. With an array, request n is answered by step n and the last step repeats.
 */
export async function startScriptedServer(steps: Step | Step[]): Promise<ScriptedServer> {
  const list = Array.isArray(steps) ? steps : [steps];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.push(recorded) - 1;
      const step = list[Math.min(index, list.length - 1)]!;
      Promise.resolve(step(recorded, res)).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A step answering 200 with a token response. */
export function tokenStep(
  overrides: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Step {
  return (_req, res) =>
    sendJson(
      res,
      200,
      { access_token: 'tok-1', token_type: 'Bearer', expires_in: 86400, scope: 'sms groups', ...overrides },
      { 'X-Request-Id': 'req-ok', 'Cache-Control': 'no-store', ...headers },
    );
}

/** A step answering with the documented error envelope. */
export function errorStep(
  status: number,
  type: string,
  code: number,
  headers: Record<string, string> = {},
): Step {
  return (_req, res) =>
    sendJson(
      res,
      status,
      { error: { type, code, message: `message for ${type}`, uri: `https://docs.sms.cx/#${type}` } },
      { 'X-Request-Id': `req-${status}`, ...headers },
    );
}

/** A step that counts a numbered token per request: tok-1, tok-2, ... */
export function countingTokenStep(overrides: Record<string, unknown> = {}): Step {
  let n = 0;
  return (_req, res) => {
    n++;
    sendJson(res, 200, {
      access_token: `tok-${n}`,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'sms',
      ...overrides,
    });
  };
}

/** Test seams for ApiClient: sleep records delays and returns at once. */
export function recordingInternals(random = 0.5) {
  const delays: number[] = [];
  return {
    delays,
    internals: {
      sleep: async (ms: number) => {
        delays.push(ms);
      },
      random: () => random,
    },
  };
}
