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
  getAccessToken(): Promise<unknown>;
  newTokenManager(): { getToken(): Promise<unknown> };
}

/** Builds the SDK objects for one server and credential (the official-library shapes, see seed/OauthApi.md). */
export function buildSdk(mod: SdkModule, baseUrl: string, credential: Credential): Sdk {
  const configuration = new mod.Configuration({
    username: credential.id,
    password: credential.secret,
    host: baseUrl,
  });
  const apiClient = new mod.ApiClient(configuration);
  const oauthApi = new mod.OauthApi(apiClient);
  const userAgent: unknown = configuration.userAgent;
  return {
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
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
    // AbortController aborted by a timer. Node's fetch links every request to a given signal (a
    // WeakRef and a FinalizationRegistry entry per request), which costs by itself; this row shows
    // how much of the SDK's overhead that is.
    const rawFetchWithTimeout = async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 30_000);
      try {
        await rawFetch(controller.signal);
      } finally {
        clearTimeout(timer);
      }
    };
    // The three kinds of request alternate one by one (which goes first rotates too), each timed on
    // its own, so drift from other load on the machine and connection-pool effects hit all alike.
    const kinds = [() => rawFetch(), rawFetchWithTimeout, () => sdk.getAccessToken()];
    // Per sample and kind: the mean time per request, and the median of the individual requests.
    const means: number[][] = [[], [], []];
    const medians: number[][] = [[], [], []];
    const warmup = 2;
    for (let s = 0; s < warmup + SDK_SAMPLES; s++) {
      const times: number[][] = [[], [], []];
      for (let n = 0; n < requestOps; n++) {
        for (let k = 0; k < kinds.length; k++) {
          const which = (n + s + k) % kinds.length;
          const t0 = process.hrtime.bigint();
          await kinds[which]!();
          times[which]!.push(Number(process.hrtime.bigint() - t0) / 1000);
        }
      }
      if (s < warmup) continue;
      for (let k = 0; k < kinds.length; k++) {
        means[k]!.push(times[k]!.reduce((sum, t) => sum + t, 0) / requestOps);
        medians[k]!.push(median(times[k]!));
      }
    }
    const [raw, rawTimed, viaSdk] = means as [number[], number[], number[]];
    const [rawMid, , sdkMid] = medians as [number[], number[], number[]];
    // Medians of per-sample ratios: each sample's requests saw the same machine conditions.
    const ratioMinusOne = (of: number[], over: number[]) => of.map((v, i) => v / over[i]! - 1);
    const overhead = (over: number[]) => ratioMinusOne(viaSdk, over);
    const typicalOverhead = ratioMinusOne(sdkMid, rawMid);
    results.push(
      { name: 'raw fetch: time per token request', unit: 'µs/op', value: median(raw), samples: raw },
      {
        name: 'raw fetch with a timeout signal: time per token request',
        unit: 'µs/op',
        value: median(rawTimed),
        samples: rawTimed,
      },
      {
        name: 'OauthApi.getAccessToken(): time per token request',
        unit: 'µs/op',
        value: median(viaSdk),
        samples: viaSdk,
      },
      {
        name: 'SDK overhead over raw fetch',
        unit: 'ratio',
        value: median(overhead(raw)),
        samples: overhead(raw),
      },
      {
        name: 'SDK overhead over raw fetch, median request',
        unit: 'ratio',
        value: median(typicalOverhead),
        samples: typicalOverhead,
      },
      {
        name: 'SDK overhead over raw fetch with the same timeout',
        unit: 'ratio',
        value: median(overhead(rawTimed)),
        samples: overhead(rawTimed),
      },
    );
    return { status: 'ok', results };
  } catch (err) {
    return {
      status: 'skipped',
      note: `SDK present but the benchmark could not drive it (adjust buildSdk in bench/src/micro/sdk.ts): ${(err as Error).message}`,
    };
  }
}
