// MICRO-BENCHMARK: the offline token verifier (packages/server/src/verify/index.ts).
//
// Measures verifications/s for one repeated token (what a resource server sees from one busy client)
// and, for each signing algorithm (EdDSA, ES256, RS256), for distinct tokens ("cold": every
// verification pays the signature check), next to raw crypto.verify on the very same distinct
// tokens. One verifier serves all three keys from one JWKS, as a resource server would during an
// algorithm change. The verifier is imported dynamically: while the server package does not have it
// yet, this module returns `skipped` with a note.
//
// Expected API (the pinned contract): createVerifier({ issuer, keys | jwksUrl, audience? })
//   → { verify(token, { scopes }) }. We hand it a JWKS URL served from this process.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../stats.js';
import { REPO_DIR } from '../targets/common.js';
import {
  ALGORITHMS,
  type Algorithm,
  AUDIENCE,
  generateSigningKey,
  ISSUER,
  publicJwk,
  type SigningKey,
  signAccessToken,
  verifySignature,
} from '../targets/jwt.js';
import { alternatingRates, type MicroResult, type MicroSection, opsPerSecond, tryImport } from './harness.js';

export const VERIFIER_MODULE = join(REPO_DIR, 'packages', 'server', 'src', 'verify', 'index.ts');

interface VerifierModule {
  createVerifier(options: { issuer: string; jwksUrl?: string; keys?: unknown; audience?: string }): {
    verify(token: string, options: { scopes: string[] }): unknown;
  };
}

/**
 * The token as a resource server receives it: a flat string read from a request header. The
 * signer builds tokens by concatenation (a V8 rope); handing ropes to the verifier would charge
 * it for flattening them on first use, a cost no token read off the wire has.
 */
function asReceived(token: string): string {
  return Buffer.from(token, 'latin1').toString('latin1');
}

export interface VerifierBenchOptions {
  /** Verifications per sample for the repeated token (default 200,000). */
  repeatedOps?: number;
  /** Verifications per sample for distinct tokens (default 2,000; 11× this many tokens are signed per algorithm). */
  distinctOps?: number;
  /** The algorithms whose distinct tokens are measured (default all three). */
  algorithms?: readonly Algorithm[];
}

/** The names of one algorithm's distinct-token results (the report and the checks look them up). */
export function distinctResultNames(alg: Algorithm) {
  return {
    verifier: `verifier: distinct ${alg} tokens`,
    raw: `raw crypto.verify: distinct ${alg} tokens`,
    ratio: `verifier distinct / raw crypto.verify, ${alg}`,
  };
}

export async function benchVerifier(options: VerifierBenchOptions = {}): Promise<MicroSection> {
  const imported = await tryImport<VerifierModule>(pathToFileURL(VERIFIER_MODULE).href);
  if ('missing' in imported)
    return { status: 'skipped', note: `verifier not available yet: ${imported.missing}` };
  if (typeof imported.mod.createVerifier !== 'function') {
    return { status: 'skipped', note: `${VERIFIER_MODULE} does not export createVerifier` };
  }
  const repeatedOps = options.repeatedOps ?? 200_000;
  const distinctOps = options.distinctOps ?? 2_000;
  const samples = 9;
  const warmup = 2;

  const algorithms = options.algorithms ?? ALGORITHMS;
  const keys = new Map(algorithms.map((alg) => [alg, generateSigningKey(alg)]));
  const jwks = JSON.stringify({ keys: [...keys.values()].map(publicJwk) });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  try {
    const verifier = imported.mod.createVerifier({
      issuer: ISSUER,
      jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
      audience: AUDIENCE,
    });
    const scopes = ['sms'];
    const verify = (token: string) => verifier.verify(token, { scopes });
    // Every key must be accepted before anything is timed: a refusal would time the error path.
    for (const key of keys.values()) {
      try {
        await verify(asReceived(signAccessToken(key, 'a'.repeat(40), 'sms groups')));
      } catch (err) {
        return {
          status: 'skipped',
          note: `the verifier rejected a valid ${key.alg} token: ${(err as Error).message}`,
        };
      }
    }
    const results: MicroResult[] = [];
    const repeated = asReceived(
      signAccessToken(keys.get('EdDSA') ?? [...keys.values()][0]!, 'a'.repeat(40), 'sms groups'),
    );
    results.push(
      await opsPerSecond('verifier: repeated token', () => verify(repeated), {
        ops: repeatedOps,
        samples,
        warmup,
      }),
    );
    for (const key of keys.values()) {
      results.push(...(await distinctTokens(key, verify, { ops: distinctOps, samples, warmup })));
    }
    return { status: 'ok', results };
  } finally {
    server.close();
  }
}

/**
 * Verifier against raw crypto.verify on distinct tokens of one key: each verification pays the
 * signature check, which is the whole of raw crypto.verify's work.
 */
async function distinctTokens(
  key: SigningKey,
  verify: (token: string) => unknown,
  { ops, samples, warmup }: { ops: number; samples: number; warmup: number },
): Promise<MicroResult[]> {
  const distinct: string[] = [];
  for (let i = 0; i < ops * (samples + warmup); i++) {
    distinct.push(asReceived(signAccessToken(key, i.toString(16).padStart(40, '0'), 'sms groups')));
  }
  const split = distinct.map((t) => {
    const dot = t.lastIndexOf('.');
    return { data: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
  });
  // Raw and verifier calls alternate in chunks of 25 (each on its own fresh tokens), so load from
  // other processes on the machine hits both alike.
  const rawRates: number[] = [];
  const mineRates: number[] = [];
  for (let s = 0; s < warmup + samples; s++) {
    const [rawRate, mineRate] = await alternatingRates(
      (i) => {
        const t = split[i]!;
        if (!verifySignature(key, t.data, t.sig)) throw new Error(`bad ${key.alg} signature`);
      },
      (i) => verify(distinct[i]!),
      { ops, chunk: 25, offset: s * ops },
    );
    if (s >= warmup) {
      rawRates.push(rawRate);
      mineRates.push(mineRate);
    }
  }
  const names = distinctResultNames(key.alg);
  // Each verifier batch ran right after its raw batch: pair them, so a slow moment of the
  // machine (a noisy neighbour on a shared VM) lowers both sides of one ratio alike.
  const pairedRatios = mineRates.map((rate, i) => rate / rawRates[i]!);
  return [
    { name: names.verifier, unit: 'ops/s', value: median(mineRates), samples: mineRates },
    { name: names.raw, unit: 'ops/s', value: median(rawRates), samples: rawRates },
    { name: names.ratio, unit: 'ratio', value: median(pairedRatios), samples: pairedRatios },
  ];
}
