// The not-before rule (whole seconds) and the in-memory denylist, in isolation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createApplication } from '../src/admin/applications.js';
import { ApplicationCache } from '../src/cache/application-cache.js';
import {
  REVOKED_TOKEN_GRACE_MS,
  REVOKED_TOKEN_PRUNE_INTERVAL_MS,
  RevokedTokens,
} from '../src/cache/revoked-tokens.js';
import { isRevokedByNotBefore, notBeforeInstant } from '../src/domain/not-before.js';
import { ScopeCatalogue } from '../src/domain/scopes.js';
import { ensureSigningKey, KeyRing } from '../src/keys/key-ring.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { ClientCredentialsGrant } from '../src/tokens/client-credentials.js';
import { Issuer } from '../src/tokens/issuer.js';
import { AccessTokenChecker } from '../src/tokens/token-checker.js';
import { TokenVerificationError } from '../src/verify/index.js';

describe('not-before rule', () => {
  it('apps revoke-tokens records the instant rounded up to a whole second', () => {
    assert.equal(notBeforeInstant(1_000), 1_000);
    assert.equal(notBeforeInstant(1_001), 2_000);
    assert.equal(notBeforeInstant(1_999), 2_000);
  });

  it('a token is revoked when its iat second is before the not-before (rounded up)', () => {
    assert.equal(isRevokedByNotBefore(5, null), false);
    // Not-before on a whole second: tokens of that second onwards are active.
    assert.equal(isRevokedByNotBefore(1, 2_000), true);
    assert.equal(isRevokedByNotBefore(2, 2_000), false);
    assert.equal(isRevokedByNotBefore(3, 2_000), false);
    // Not-before inside a second: that whole second is revoked (it cannot be split).
    assert.equal(isRevokedByNotBefore(1, 1_500), true);
    assert.equal(isRevokedByNotBefore(2, 1_500), false);
    assert.equal(isRevokedByNotBefore(1, 1_001), true);
  });

  it('every token issued after revoke-tokens returns is active; every one issued before it started is not', () => {
    for (let start = 0; start < 3_000; start += 7) {
      const recorded = notBeforeInstant(start);
      const issuedBefore = start - 1; // ms
      const issuedAfterReturn = Math.max(start, recorded); // the command returns at `recorded`
      assert.equal(isRevokedByNotBefore(Math.floor(issuedBefore / 1000), recorded), true, `start ${start}`);
      assert.equal(
        isRevokedByNotBefore(Math.floor(issuedAfterReturn / 1000), recorded),
        false,
        `start ${start}`,
      );
    }
  });
});

describe('RevokedTokens (in-memory denylist)', () => {
  it('loads, refreshes and prunes against storage', async () => {
    const storage = openSqliteStorage(':memory:');
    const appId = 'a'.repeat(40);
    await storage.revokeToken({ jti: 'expired', applicationId: appId, expiresAt: 1_000 });
    await storage.revokeToken({ jti: 'live', applicationId: appId, expiresAt: 10_000 });
    await storage.revokeToken({ jti: 'forever', applicationId: appId, expiresAt: null });
    const denylist = new RevokedTokens();
    await denylist.loadAll(storage, 5_000 + REVOKED_TOKEN_GRACE_MS);
    assert.equal(denylist.has('expired'), false);
    assert.equal(denylist.has('live'), true);
    assert.equal(denylist.has('forever'), true);
    await storage.revokeToken({ jti: 'new', applicationId: appId, expiresAt: null });
    assert.equal(denylist.has('new'), false);
    await denylist.refresh(storage, 'new');
    assert.equal(denylist.has('new'), true);
    await denylist.refresh(storage, 'unknown');
    assert.equal(denylist.has('unknown'), false);

    const now = REVOKED_TOKEN_PRUNE_INTERVAL_MS + 20_000;
    assert.equal(await denylist.prune(storage, now), 2, 'expired and live dropped from storage');
    assert.equal(denylist.has('live'), false);
    assert.equal(denylist.has('forever'), true);
    assert.equal(denylist.prune(storage, now + 1), undefined, 'at most once per interval');
    assert.equal(await storage.isTokenRevoked('forever'), true);
    await storage.close();
  });
});

describe('AccessTokenChecker (the in-process verifier)', () => {
  it('checks status before scopes: 401 for a revoked token, 403 only for an active one lacking a scope', async () => {
    const storage = openSqliteStorage(':memory:');
    const pepper = randomBytes(32);
    await ensureSigningKey(storage, pepper);
    const { application } = await createApplication(storage, pepper, {
      name: 'a',
      scopes: ['sms', 'groups'],
      tokenExpiration: '1d',
    });
    const applications = new ApplicationCache(new ScopeCatalogue());
    await applications.loadAll(storage);
    const keys = new KeyRing(pepper);
    await keys.load(storage, false);
    const revoked = new RevokedTokens();
    const issuer = new Issuer({ issuer: 'https://issuer.test', host: '127.0.0.1', port: 0 });
    const now = (): number => Date.now();
    const checker = new AccessTokenChecker({ storage, keys, applications, revoked, issuer, now });
    const grant = new ClientCredentialsGrant(keys, { issuer, audience: 'https://api.sms.cx', now });
    const issue = (scope: string): string => {
      const body = grant.handle(
        applications.get(application.id)!,
        new Map([
          ['grant_type', 'client_credentials'],
          ['scope', scope],
        ]),
      );
      return (JSON.parse(body as string) as { access_token: string }).access_token;
    };
    const reasonOf = (promise: Promise<unknown>): Promise<string> =>
      promise.then(
        () => 'ok',
        (err: unknown) =>
          err instanceof TokenVerificationError ? `${err.status} ${err.reason}` : String(err),
      );

    const smsOnly = issue('sms');
    assert.equal(await reasonOf(checker.verifier.verify(smsOnly, { scopes: ['sms'] })), 'ok');
    assert.equal(
      await reasonOf(checker.verifier.verify(smsOnly, { scopes: ['groups'] })),
      '403 insufficient_scope',
    );
    const jti = (JSON.parse(Buffer.from(smsOnly.split('.')[1]!, 'base64url').toString()) as { jti: string })
      .jti;
    // Revoked by "another process": only storage knows; the cached verification must not hide it.
    await storage.revokeToken({ jti, applicationId: application.id, expiresAt: null });
    assert.equal(await reasonOf(checker.verifier.verify(smsOnly, { scopes: ['groups'] })), '401 revoked');
    assert.equal(revoked.has(jti), true, 'remembered in memory from then on');
    assert.deepEqual(await checker.check(smsOnly), { active: false, reason: 'revoked' });
    assert.deepEqual(await checker.check('nope'), { active: false, reason: 'malformed' });
    await storage.close();
  });
});
