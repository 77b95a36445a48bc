// The shared fixture of the in-process server tests: the real app (buildApp) on a real SQLite
// file in a temp folder, driven through app.inject, with an injected clock. Admin changes go
// through the same service functions as the CLI, then app.applyChanges() applies them at once,
// as the change follower would on its next poll, so no test waits for time.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  createApplication,
  deleteApplication,
  revokeApplicationSecret,
  revokeApplicationTokens,
  rotateApplicationSecret,
  setApplicationStatus,
} from '../src/admin/applications.js';
import { rotateKeys } from '../src/admin/keys.js';
import { buildApp } from '../src/app.js';
import type { LogLevel, RateLimitSetting } from '../src/config/options.js';
import type { TokenExpiration } from '../src/contract/expiration.js';
import { DEFAULT_SCOPES } from '../src/domain/scopes.js';
import type { SigningAlgorithm } from '../src/keys/key-material.js';
import type { WindowStore } from '../src/limits/index.js';
import { createLogger } from '../src/logger.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../src/storage/types.js';
import { parseJson, type RawResponse, type SendOptions, type TestApplication } from './helpers.js';

/** A clock a test moves by hand. */
export interface TestClock {
  (): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock to `epochMs`. */
  set(epochMs: number): void;
}

/** Makes a {@link TestClock} starting at `start` (default: the real time now). */
export function testClock(start: number = Date.now()): TestClock {
  let current = start;
  const clock = (() => current) as TestClock;
  clock.advance = (ms) => {
    current += ms;
  };
  clock.set = (epochMs) => {
    current = epochMs;
  };
  return clock;
}

/** A logger at `level` that appends every line it writes to `lines`. */
export function collectingLogger(level: LogLevel): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

/** Options of {@link inProcessServer}. */
export interface InProcessOptions {
  readonly rateLimit?: RateLimitSetting;
  readonly authFailureLimit?: RateLimitSetting;
  readonly issuer?: string;
  readonly audience?: string;
  readonly scopes?: readonly string[];
  /** Default: a {@link testClock} at the real time now. */
  readonly clock?: TestClock;
  /** Default: a silent logger. */
  readonly logger?: Logger;
  /** `--trust-proxy`: proxies whose `X-Forwarded-For` is believed. Default none. */
  readonly trustProxy?: readonly string[];
  /** `--cors-origin`: browser origins allowed. Default none. */
  readonly corsOrigins?: readonly string[];
  /** Where the rate limits are counted. Default: the app's own memory. */
  readonly rateLimitStore?: WindowStore;
  /**
   * Serve the database of another in-process server (a second instance on the same SQLite file,
   * with its pepper). Default: a fresh database in a temp folder, removed on close.
   */
  readonly sameDatabaseAs?: InProcessServer;
}

/** What {@link InProcessServer.createApplication} takes; everything optional. */
export interface NewTestApplication {
  readonly name?: string;
  /** Space-delimited. Default: the whole catalogue. */
  readonly scopes?: string;
  readonly expiration?: TokenExpiration;
}

/** A server built in this process on its own SQLite file. */
export interface InProcessServer {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  readonly pepper: Buffer;
  /** The database file (another process, e.g. the CLI, may open it). */
  readonly db: string;
  readonly clock: TestClock;
  /** Sends one request through `app.inject` (client address 127.0.0.1 unless `remoteAddress`). */
  send(options: SendOptions & { readonly remoteAddress?: string }): Promise<RawResponse>;
  /** Creates an application (as `apps create --json` prints it) and applies the change. */
  createApplication(input?: NewTestApplication): Promise<TestApplication>;
  /** The admin actions, each applied to the server before it resolves. */
  readonly admin: {
    disable(id: string): Promise<void>;
    enable(id: string): Promise<void>;
    delete(id: string): Promise<void>;
    /**
     * Returns the new secret; the old one keeps working for `graceSeconds` (default 0) of the
     * test clock.
     */
    rotateSecret(id: string, graceSeconds?: number): Promise<string>;
    /** Ends the application's previous secret `secretId` at once. */
    revokeSecret(id: string, secretId: string): Promise<void>;
    revokeTokens(id: string): Promise<void>;
    /**
     * Returns the new key's ID. `alg`: its algorithm (default EdDSA); `publishAheadMs`: how long
     * it is published before it signs, by the test clock (default the CLI's, 10 minutes; 0: it
     * signs at once). Resolves once the server has applied the rotation.
     */
    rotateKey(options?: { alg?: SigningAlgorithm; publishAheadMs?: number }): Promise<string>;
  };
  /** Listens on a free loopback port (for tests of the HTTP layer itself); returns the base URL. */
  listen(): Promise<string>;
  /** Closes the app and the database and removes the temp folder. */
  close(): Promise<void>;
}

/** Sends one request through `app.inject` and returns it as a client over HTTP sees it. */
export async function injectRequest(
  app: FastifyInstance,
  request: SendOptions & { readonly remoteAddress?: string },
): Promise<RawResponse> {
  const response = await app.inject({
    method: (request.method ?? 'POST') as 'POST',
    url: request.path ?? '/oauth/token',
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { payload: request.body }),
    remoteAddress: request.remoteAddress ?? '127.0.0.1',
  });
  // Every header value a string, as over HTTP.
  const headers: RawResponse['headers'] = {};
  for (const [name, value] of Object.entries(response.headers)) {
    headers[name] = typeof value === 'number' ? String(value) : value;
  }
  return { status: response.statusCode, headers, body: response.body, json: parseJson(response.body) };
}

/** Builds the app on a fresh SQLite file in a temp folder. */
export async function inProcessServer(options: InProcessOptions = {}): Promise<InProcessServer> {
  const shared = options.sameDatabaseAs;
  const dir = shared === undefined ? mkdtempSync(join(tmpdir(), 'smscx-oauth-fixture-')) : undefined;
  const db = shared?.db ?? join(dir!, 'smscx-oauth.db');
  const storage = openSqliteStorage(db);
  const pepper = shared?.pepper ?? randomBytes(32);
  // In the default pepper file next to the database, as `serve` keeps it: the admin commands a
  // test runs on this database (`--db`) read it there, and refuse any other pepper.
  if (dir !== undefined) writeFileSync(join(dir, 'pepper'), pepper, { mode: 0o600 });
  const clock = options.clock ?? testClock();
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  const app = await buildApp({
    storage,
    pepper,
    now: clock,
    scopes,
    logger: options.logger ?? createLogger('silent'),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    ...(options.authFailureLimit === undefined ? {} : { authFailureLimit: options.authFailureLimit }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.rateLimitStore === undefined ? {} : { rateLimitStore: options.rateLimitStore }),
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
  });
  const applied = async <T>(change: Promise<T>): Promise<T> => {
    const result = await change;
    await app.applyChanges();
    return result;
  };
  const mustExist = <T>(value: T | null | false, id: string): T => {
    if (value === null || value === false) throw new Error(`no application ${id}`);
    return value;
  };

  return {
    app,
    storage,
    pepper,
    db,
    clock,
    send: (request) => injectRequest(app, request),
    async createApplication(input = {}) {
      const { application, secret } = await applied(
        createApplication(
          storage,
          pepper,
          {
            name: input.name ?? 'test',
            scopes: input.scopes === undefined ? scopes : input.scopes.split(' ').filter(Boolean),
            tokenExpiration: input.expiration ?? '1d',
          },
          clock(),
        ),
      );
      return {
        application_id: application.id,
        application_secret: secret,
        name: application.name,
        scopes: application.scopes.join(' '),
        token_expiration: application.tokenExpiration,
      };
    },
    admin: {
      disable: async (id) => {
        mustExist(await applied(setApplicationStatus(storage, id, 'disabled')), id);
      },
      enable: async (id) => {
        mustExist(await applied(setApplicationStatus(storage, id, 'active')), id);
      },
      delete: async (id) => {
        mustExist(await applied(deleteApplication(storage, id)), id);
      },
      rotateSecret: async (id, graceSeconds = 0) =>
        mustExist(
          await applied(rotateApplicationSecret(storage, pepper, id, { graceSeconds, now: clock() })),
          id,
        ).secret,
      revokeSecret: async (id, secretId) => {
        mustExist(await applied(revokeApplicationSecret(storage, id, secretId, { now: clock() })), id);
      },
      revokeTokens: async (id) => {
        // The not-before instant is the next whole second of the test clock: move the clock
        // there, as the CLI waits for it.
        const pending = revokeApplicationTokens(storage, id, clock);
        clock.set(Math.ceil(clock() / 1000) * 1000);
        mustExist(await applied(pending), id);
      },
      rotateKey: async ({ alg, publishAheadMs } = {}) =>
        (await applied(rotateKeys(storage, pepper, clock(), { alg, publishAheadMs }))).kid,
    },
    async listen() {
      return app.listen({ host: '127.0.0.1', port: 0 });
    },
    async close() {
      await app.close();
      await storage.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
