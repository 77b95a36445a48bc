// MICRO-BENCHMARK: the client SDK (packages/client/src/index.ts).
//
//  - cached TokenManager.getToken(): ns per call once a token is cached;
//  - 1000 concurrent getToken() on a cold TokenManager: how many token requests reach the server
//    (one shared in-flight refresh means 1);
//  - OauthApi.getAccessToken() vs a raw fetch() of the same request against the same server: time per
//    request and the SDK's overhead.
// The SDK is imported dynamically: while it does not exist yet, this module returns `skipped`.
//
// ADAPTER: `buildSdk` is the one place that knows the SDK's constructor shapes; adjust it if they differ.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../stats.js';
import { basicAuth, type Credential, REPO_DIR, type RunningTarget } from '../targets/common.js';
import { type MicroResult, type MicroSection, nsPerOp, tryImport } from './harness.js';

/** Measured samples of SDK vs raw fetch (after 2 warm-up ones): 9, so one sample that a GC pause or a
 * burst of foreign load skewed cannot move the median. */
const SDK_SAMPLES = 9;

export const SDK_MODULE = join(REPO_DIR, 'packages', 'client', 'src', 'index.ts');

// biome-ignore lint/suspicious/noExplicitAny: the SDK is loaded dynamically and may not exist yet
type Ctor = new (...args: any[]) => any;
interface SdkModule {
  Configuration: Ctor;
  ApiClient: Ctor;
  OauthApi: Ctor;
  TokenManager: Ctor;
}
interface Sdk {
  /** The User-Agent the SDK sends, so the raw fetch sends the very same request. */
  userAgent: string | undefined;
  /** The SDK's per-attempt timeout in ms (its default unless set), which the timed raw fetch copies. */
  timeoutMs: number | undefined;
  getAccessToken(): Promise<unknown>;
  newTokenManager(): { getToken(): Promise<unknown> };
}

/** Builds the SDK objects for one server and credential (the official-library shapes, see seed/OauthApi.md). */
export function buildSdk(
  mod: SdkModule,
  baseUrl: string,
  credential: Credential,
  settings: { timeoutMs?: number } = {},
): Sdk {
  const configuration = new mod.Configuration({
    username: credential.id,
    password: credential.secret,
    host: baseUrl,
    ...settings,
  });
  const apiClient = new mod.ApiClient(configuration);
  const oauthApi = new mod.OauthApi(apiClient);
  const userAgent: unknown = configuration.userAgent;
  const timeoutMs: unknown = configuration.timeoutMs;
  return {
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    timeoutMs: typeof timeoutMs === 'number' ? timeoutMs : undefined,
    getAccessToken: () => oauthApi.getAccessToken(),
    newTokenManager: () => new mod.TokenManager({ apiClient }),
  };
}

/** A loopback token endpoint that counts requests (for the cold-stampede test). */
async function countingServer(): Promise<{ url: string; count(): number; close(): void }> {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    req.resume();
    req.on('end', () => {
      // A little latency so concurrent callers really overlap with the in-flight request.
      setTimeout(() => {
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(
            JSON.stringify({ access_token: 'a.b.c', token_type: 'Bearer', expires_in: 86400, scope: 'sms' }),
          );
      }, 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, count: () => count, close: () => server.close() };
}

export interface SdkBenchOptions {
  /** getToken() calls per sample once cached (default 200,000). */
  cachedOps?: number;
  /** Requests of each kind per sample for SDK vs raw fetch (default 500). */
  requestOps?: number;
  /** Concurrent cold getToken() callers (default 1000). */
  stampede?: number;
  /** Measured samples of SDK vs raw fetch, after 2 warm-up ones (default 9). */
  samples?: number;
}

/** Runs the SDK micro-benchmarks against `target` (a running token server, e.g. the ceiling). */
export async function benchSdk(
  target: Pick<RunningTarget, 'url' | 'credentials'>,
  options: SdkBenchOptions = {},
): Promise<MicroSection> {
  const imported = await tryImport<SdkModule>(pathToFileURL(SDK_MODULE).href);
  if ('missing' in imported) return { status: 'skipped', note: `SDK not available yet: ${imported.missing}` };
  const mod = imported.mod;
  for (const name of ['Configuration', 'ApiClient', 'OauthApi', 'TokenManager'] as const) {
    if (typeof mod[name] !== 'function')
      return { status: 'skipped', note: `${SDK_MODULE} does not export ${name}` };
  }
  const credential = target.credentials[0];
  if (!credential) throw new Error('target has no credentials');
  const cachedOps = options.cachedOps ?? 200_000;
  const requestOps = options.requestOps ?? 500;
  const stampede = options.stampede ?? 1000;
  const samples = options.samples ?? SDK_SAMPLES;
  const results: MicroResult[] = [];
  try {
    const sdk = buildSdk(mod, target.url, credential);
    await sdk.getAccessToken();

    const manager = sdk.newTokenManager();
    await manager.getToken();
    results.push(
      await nsPerOp('TokenManager.getToken() cached', () => manager.getToken(), { ops: cachedOps }),
    );

    const counter = await countingServer();
    try {
      const cold = buildSdk(mod, counter.url, credential).newTokenManager();
      await Promise.all(Array.from({ length: stampede }, () => cold.getToken()));
      results.push({
        name: `${stampede} concurrent cold getToken(): token requests`,
        unit: 'requests',
        value: counter.count(),
        samples: [],
      });
    } finally {
      counter.close();
    }

    const init = {
      method: 'POST',
      headers: {
        authorization: basicAuth(credential),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(sdk.userAgent === undefined ? {} : { 'user-agent': sdk.userAgent }),
      },
      body: 'grant_type=client_credentials',
    };
    const rawFetch = async (signal?: AbortSignal) => {
      const res = await fetch(`${target.url}/oauth/token`, signal === undefined ? init : { ...init, signal });
      if (res.status !== 200) throw new Error(`raw fetch: HTTP ${res.status}`);
      await res.json();
    };
    // The same raw fetch with a timeout the way the SDK (and any careful caller) sets one: an
    // AbortController aborted by a timer. Node 20's fetch ties every request to a given signal (a
    // WeakRef, a FinalizationRegistry entry and a listener per request), which costs by itself.
    const timeoutMs = sdk.timeoutMs;
    if (timeoutMs === undefined || timeoutMs <= 0) throw new Error('the SDK reports no default timeout');
    const rawFetchWithTimeout = async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        await rawFetch(controller.signal);
      } finally {
        clearTimeout(timer);
      }
    };
    const untimed = buildSdk(mod, target.url, credential, { timeoutMs: 0 });
    await untimed.getAccessToken();
    const pairs = await compareRequests(
      {
        raw: () => rawFetch(),
        rawAgain: () => rawFetch(),
        rawTimed: rawFetchWithTimeout,
        sdk: () => sdk.getAccessToken(),
        sdkUntimed: () => untimed.getAccessToken(),
      },
      { requestOps, samples, timeoutMs },
    );
    results.push(...pairs);
    return { status: 'ok', results };
  } catch (err) {
    return {
      status: 'skipped',
      note: `SDK present but the benchmark could not drive it (adjust buildSdk in bench/src/micro/sdk.ts): ${(err as Error).message}`,
    };
  }
}

type RequestKind = 'raw' | 'rawAgain' | 'rawTimed' | 'sdk' | 'sdkUntimed';

/**
 * Times the kinds of token request against each other: they alternate one by one (which goes first
 * rotates too), each request timed on its own, so drift from other load on the machine and
 * connection-pool effects hit all alike. Each ratio is the median of the samples' ratios (each
 * sample's requests saw the same machine conditions), computed two ways: from each kind's median
 * request, and from its mean time. A few multi-millisecond stalls (the VM, a GC pause in either
 * process) land on whichever request is running and move a sample's mean far more than its
 * median; `rawAgain` is a null control that shows how far each statistic moves with nothing changed.
 *
 * Two like-for-like pairs measure the SDK's own overhead: the SDK with its default timeout against a
 * raw fetch with the same timeout, and the SDK with `timeoutMs: 0` against a plain raw fetch. The
 * cross pair (the default SDK against the plain raw fetch) adds what the timeout signal costs inside
 * Node's fetch, and is reported beside them.
 */
async function compareRequests(
  kinds: Record<RequestKind, () => Promise<unknown>>,
  { requestOps, samples, timeoutMs }: { requestOps: number; samples: number; timeoutMs: number },
): Promise<MicroResult[]> {
  const names = Object.keys(kinds) as RequestKind[];
  const means = new Map<RequestKind, number[]>(names.map((k) => [k, []]));
  const medians = new Map<RequestKind, number[]>(names.map((k) => [k, []]));
  const warmup = 2;
  for (let s = 0; s < warmup + samples; s++) {
    const times = new Map<RequestKind, number[]>(names.map((k) => [k, []]));
    for (let n = 0; n < requestOps; n++) {
      for (let k = 0; k < names.length; k++) {
        const which = names[(n + s + k) % names.length]!;
        const t0 = process.hrtime.bigint();
        await kinds[which]();
        times.get(which)!.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    if (s < warmup) continue;
    for (const [kind, list] of times) {
      means.get(kind)!.push(list.reduce((sum, t) => sum + t, 0) / list.length);
      medians.get(kind)!.push(median(list));
    }
  }
  const perRequest = (name: string, kind: RequestKind): MicroResult => {
    const values = medians.get(kind)!;
    return { name, unit: 'µs/op', value: median(values), samples: values };
  };
  const ratios = (name: string, of: RequestKind, over: RequestKind): MicroResult[] =>
    (
      [
        ['median request', medians],
        ['mean time', means],
      ] as const
    ).map(([statistic, per]) => {
      const values = per.get(of)!.map((v, i) => v / per.get(over)![i]! - 1);
      return { name: `${name}, ${statistic}`, unit: 'ratio', value: median(values), samples: values };
    });
  return [
    perRequest('raw fetch: median token request', 'raw'),
    perRequest(`raw fetch with a ${timeoutMs / 1000}-s timeout signal: median token request`, 'rawTimed'),
    perRequest('OauthApi.getAccessToken(): median token request', 'sdk'),
    perRequest('OauthApi.getAccessToken() with timeoutMs 0: median token request', 'sdkUntimed'),
    ...ratios(SDK_OVER_TIMED, 'sdk', 'rawTimed'),
    ...ratios(SDK_UNTIMED_OVER_RAW, 'sdkUntimed', 'raw'),
    ...ratios(SDK_OVER_RAW, 'sdk', 'raw'),
    ...ratios(NULL_CONTROL, 'rawAgain', 'raw'),
  ];
}

/** Result names the report's checks look up (src/results.ts). */
export const SDK_OVER_TIMED = 'SDK overhead over raw fetch with the same timeout';
export const SDK_UNTIMED_OVER_RAW = 'SDK with timeoutMs 0 overhead over raw fetch';
export const SDK_OVER_RAW = 'SDK overhead over raw fetch without a timeout';
export const NULL_CONTROL = 'null control: raw fetch over raw fetch';
