// MICRO-BENCHMARK: the offline token verifier (packages/server/src/verify/index.ts).
//
// Measures verifications/s for one repeated token (what a resource server sees from one busy client)
// and for distinct tokens (every verification pays the signature check), next to raw
// crypto.verify on the very same distinct tokens. The verifier is imported dynamically: while the
// server package does not have it yet, this module returns `skipped` with a note.
//
// Expected API (the pinned contract): createVerifier({ issuer, keys | jwksUrl, audience? })
//   → { verify(token, { scopes }) }. We hand it a JWKS URL served from this process.
import { verify as cryptoVerify } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../stats.js';
import { REPO_DIR } from '../targets/common.js';
import { AUDIENCE, generateSigningKey, ISSUER, signAccessToken } from '../targets/jwt.js';
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
  /** Verifications per sample for distinct tokens (default 2,000; 6× this many tokens are signed). */
  distinctOps?: number;
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

  const key = generateSigningKey();
  const jwk = { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: 'EdDSA', use: 'sig' };
  const jwks = JSON.stringify({ keys: [jwk] });
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
    const repeated = asReceived(signAccessToken(key, 'a'.repeat(40), 'sms groups'));
    try {
      await verifier.verify(repeated, { scopes });
    } catch (err) {
      return { status: 'skipped', note: `the verifier rejected a valid token: ${(err as Error).message}` };
    }
    const distinct: string[] = [];
    for (let i = 0; i < distinctOps * (samples + warmup); i++) {
      distinct.push(asReceived(signAccessToken(key, i.toString(16).padStart(40, '0'), 'sms groups')));
    }
    const split = distinct.map((t) => {
      const dot = t.lastIndexOf('.');
      return { data: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
    });
    const results: MicroResult[] = [];
    results.push(
      await opsPerSecond('verifier: repeated token', () => verifier.verify(repeated, { scopes }), {
        ops: repeatedOps,
        samples,
        warmup,
      }),
    );
    // Raw and verifier calls alternate in chunks of 25 (each on its own fresh tokens), so load from
    // other processes on the machine hits both alike.
    const rawRates: number[] = [];
    const mineRates: number[] = [];
    for (let s = 0; s < warmup + samples; s++) {
      const [rawRate, mineRate] = await alternatingRates(
        (i) => {
          const t = split[i]!;
          if (!cryptoVerify(null, t.data, key.publicKey, t.sig)) throw new Error('bad signature');
        },
        (i) => verifier.verify(distinct[i]!, { scopes }),
        { ops: distinctOps, chunk: 25, offset: s * distinctOps },
      );
      if (s >= warmup) {
        rawRates.push(rawRate!);
        mineRates.push(mineRate!);
      }
    }
    const raw: MicroResult = {
      name: 'raw crypto.verify: distinct tokens',
      unit: 'ops/s',
      value: median(rawRates),
      samples: rawRates,
    };
    const mine: MicroResult = {
      name: 'verifier: distinct tokens',
      unit: 'ops/s',
      value: median(mineRates),
      samples: mineRates,
    };
    // Each verifier batch ran right after its raw batch: pair them, so a slow moment of the
    // machine (a noisy neighbour on a shared VM) lowers both sides of one ratio alike.
    const pairedRatios = mineRates.map((rate, i) => rate / rawRates[i]!);
    results.push(mine, raw, {
      name: 'verifier distinct / raw crypto.verify',
      unit: 'ratio',
      value: median(pairedRatios),
      samples: pairedRatios,
    });
    return { status: 'ok', results };
  } finally {
    server.close();
  }
}
