import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import {
  loadSigningKeys,
  rotateSigningKeys,
  RETIRED_KEY_PUBLISHED_SECONDS,
  SigningKeyUnreadableError,
} from '../../../src/domain/oidc/signing-keys.ts';
import { createSecretBox, generateKeyText, parseKey } from '../../../src/crypto/secret-box.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';

describe.each(engines())('SigningKeyStore and loadSigningKeys on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ database, deps } = t));

  const rowsOf = (instanceId: string) =>
    database.db.selectFrom('oidc_signing_keys').selectAll().where('instance_id', '=', instanceId).execute();

  it('creates an ES256 and an RS256 key on first use, then loads the same ones', async () => {
    const { instance } = await givenInstance(deps);
    const first = await loadSigningKeys(deps, instance.id);
    expect(first.map((k) => [k.alg, k.kty, Boolean(k.d)])).toEqual([
      ['ES256', 'EC', true],
      ['RS256', 'RSA', true],
    ]);
    expect((await loadSigningKeys(deps, instance.id)).map((k) => k.kid)).toEqual(first.map((k) => k.kid));
    expect(await rowsOf(instance.id)).toHaveLength(2);
  });

  it('keeps one key per algorithm when several processes create them at once', async () => {
    const { instance } = await givenInstance(deps);
    const loads = await Promise.all(Array.from({ length: 4 }, () => loadSigningKeys(deps, instance.id)));
    const kids = loads.map((keys) => keys.map((k) => k.kid).join(','));
    expect(new Set(kids).size).toBe(1);
    expect(await rowsOf(instance.id)).toHaveLength(2);
  });

  it('stores private keys sealed, bound to their instance, and refuses to open them with another secret key', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const keys = await loadSigningKeys(deps, instance.id);
    const rows = await rowsOf(instance.id);
    for (const row of rows) {
      const key = keys.find((k) => k.kid === row.kid)!;
      expect(row.sealed_private_jwk.startsWith(`${deps.secretBox.keyId}.`)).toBe(true);
      // Nothing of the JWK in plaintext: not the private member, not even the public ones (and no
      // JSON punctuation at all, which base64url never contains).
      expect(row.sealed_private_jwk).toMatch(/^[\w-]+(\.[\w-]+){3}$/);
      for (const member of [key.d!, key.x ?? key.n!]) expect(row.sealed_private_jwk).not.toContain(member);
    }
    // A row copied onto another instance does not open there.
    await database.db
      .insertInto('oidc_signing_keys')
      .values(rows.map((row) => ({ ...row, instance_id: other.id })))
      .execute();
    await expect(loadSigningKeys(deps, other.id)).rejects.toBeInstanceOf(SigningKeyUnreadableError);
    const otherBox = createSecretBox([parseKey(generateKeyText())]);
    await expect(loadSigningKeys({ ...deps, secretBox: otherBox }, instance.id)).rejects.toBeInstanceOf(SigningKeyUnreadableError);
  });

  it('on another instance: publishes none of this one’s keys and inserts its own signing key', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const mine = await loadSigningKeys(deps, instance.id);
    expect(await deps.stores.forInstance(other.id).signingKeys.findPublished(new Date(0))).toEqual([]);
    const theirs = await loadSigningKeys(deps, other.id);
    expect(theirs.map((k) => k.kid).filter((kid) => mine.some((k) => k.kid === kid))).toEqual([]);
  });

  it('refuses a second signing key of one algorithm, and publishes a retired key only within its overlap', async () => {
    const { instance } = await givenInstance(deps);
    const store = deps.stores.forInstance(instance.id).signingKeys;
    const now = new Date();
    const key = { kid: 'k-1', alg: 'ES256' as const, sealedPrivateJwk: 'sealed', createdAt: now, retiredAt: null };
    expect(await store.insertActive(key)).toBe(true);
    expect(await store.insertActive({ ...key, kid: 'k-2' })).toBe(false);
    await database.db.updateTable('oidc_signing_keys').set({ retired_at: now }).where('instance_id', '=', instance.id).execute();
    expect(await store.insertActive({ ...key, kid: 'k-3', createdAt: addSeconds(now, 1) })).toBe(true);
    expect((await store.findPublished(addSeconds(now, -1))).map((k) => [k.kid, k.retiredAt !== null])).toEqual([
      ['k-3', false],
      ['k-1', true],
    ]);
    expect((await store.findPublished(now)).map((k) => k.kid)).toEqual(['k-3']);
  });

  it('rotates: new keys sign first, the old ones stay published for the overlap, then leave; other instances keep theirs', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const old = await loadSigningKeys(deps, instance.id);
    const others = (await loadSigningKeys(deps, other.id)).map((k) => k.kid);
    const rotation = await rotateSigningKeys(deps, instance.id);
    expect(rotation.retired).toBe(2);
    expect(rotation.signing.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    const after = await loadSigningKeys(deps, instance.id);
    expect(after.slice(0, 2).map((k) => k.kid)).toEqual(rotation.signing.map((k) => k.kid));
    expect(
      after
        .slice(2)
        .map((k) => k.kid)
        .sort(),
    ).toEqual(old.map((k) => k.kid).sort());
    expect((await loadSigningKeys(deps, other.id)).map((k) => k.kid)).toEqual(others);
    const store = deps.stores.forInstance(instance.id).signingKeys;
    const later = addSeconds(deps.clock.now(), RETIRED_KEY_PUBLISHED_SECONDS + 1);
    expect((await store.findPublished(addSeconds(later, -RETIRED_KEY_PUBLISHED_SECONDS))).map((k) => k.kid).sort()).toEqual(
      rotation.signing.map((k) => k.kid).sort(),
    );
  });
});
