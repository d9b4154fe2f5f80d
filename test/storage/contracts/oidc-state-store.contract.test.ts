import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { randomId } from '../../../src/crypto/random.ts';
import type { OidcStateStore } from '../../../src/domain/oidc/oidc-state-store.ts';

const none = { grantId: null, uid: null, userCode: null };

describe.each(engines())('OidcStateStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  const storeOf = async (): Promise<OidcStateStore> => deps.stores.forInstance((await givenInstance(deps)).instance.id).oidcState;

  it('finds what it stored by model and id, replaces it on upsert, and forgets it on destroy', async () => {
    const store = await storeOf();
    const now = new Date();
    const id = randomId();
    await store.upsert('AccessToken', id, { jti: id, scope: 'openid' }, addSeconds(now, 60), none);
    expect(await store.find('AccessToken', id, now)).toEqual({ payload: { jti: id, scope: 'openid' }, consumedAt: null });
    expect(await store.find('RefreshToken', id, now)).toBeNull();
    await store.upsert('AccessToken', id, { jti: id, scope: 'openid email' }, addSeconds(now, 60), none);
    expect((await store.find('AccessToken', id, now))?.payload).toEqual({ jti: id, scope: 'openid email' });
    await store.destroy('AccessToken', id);
    expect(await store.find('AccessToken', id, now)).toBeNull();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    const store = await storeOf();
    const now = new Date();
    const [id, uid, code] = [randomId(), randomId(), randomId()];
    await store.upsert('Session', id, { uid, accountId: 'u1' }, addSeconds(now, 60), { ...none, uid });
    await store.upsert('DeviceCode', id, { userCode: code }, addSeconds(now, 60), { ...none, userCode: code });
    expect((await store.findByUid('Session', uid, now))?.payload).toEqual({ uid, accountId: 'u1' });
    expect(await store.findByUid('Interaction', uid, now)).toBeNull();
    expect((await store.findByUserCode('DeviceCode', code, now))?.payload).toEqual({ userCode: code });
    expect(await store.findByUserCode('DeviceCode', 'other', now)).toBeNull();
  });

  it('returns nothing at or after the expiry, and keeps a row stored without one', async () => {
    const store = await storeOf();
    const now = new Date();
    const [short, forever] = [randomId(), randomId()];
    await store.upsert('AuthorizationCode', short, { jti: short }, addSeconds(now, 60), none);
    await store.upsert('Grant', forever, { jti: forever }, null, none);
    expect(await store.find('AuthorizationCode', short, addSeconds(now, 59))).not.toBeNull();
    expect(await store.find('AuthorizationCode', short, addSeconds(now, 60))).toBeNull();
    expect(await store.consume('AuthorizationCode', short, addSeconds(now, 61))).toBe(false);
    expect(await store.find('Grant', forever, addSeconds(now, 10 ** 8))).not.toBeNull();
  });

  it('consumes once: the first call wins, the code then reads as consumed', async () => {
    const store = await storeOf();
    const now = new Date();
    const id = randomId();
    await store.upsert('AuthorizationCode', id, { jti: id }, addSeconds(now, 60), none);
    expect(await store.consume('AuthorizationCode', id, now)).toBe(true);
    expect(await store.consume('AuthorizationCode', id, now)).toBe(false);
    expect((await store.find('AuthorizationCode', id, now))?.consumedAt?.getTime()).toBe(now.getTime());
    expect(await store.consume('AuthorizationCode', randomId(), now)).toBe(false);
  });

  it('consumes a code exactly once under concurrent use', async () => {
    const store = await storeOf();
    const now = new Date();
    const id = randomId();
    await store.upsert('AuthorizationCode', id, { jti: id }, addSeconds(now, 60), none);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.consume('AuthorizationCode', id, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('revokes every model of one grant and nothing of another grant', async () => {
    const store = await storeOf();
    const now = new Date();
    const [grant, otherGrant] = [randomId(), randomId()];
    const ids = { code: randomId(), access: randomId(), refresh: randomId(), kept: randomId() };
    await store.upsert('AuthorizationCode', ids.code, {}, addSeconds(now, 60), { ...none, grantId: grant });
    await store.upsert('AccessToken', ids.access, {}, addSeconds(now, 60), { ...none, grantId: grant });
    await store.upsert('RefreshToken', ids.refresh, {}, addSeconds(now, 60), { ...none, grantId: grant });
    await store.upsert('AccessToken', ids.kept, {}, addSeconds(now, 60), { ...none, grantId: otherGrant });
    await store.revokeByGrantId(grant);
    expect(await store.find('AuthorizationCode', ids.code, now)).toBeNull();
    expect(await store.find('AccessToken', ids.access, now)).toBeNull();
    expect(await store.find('RefreshToken', ids.refresh, now)).toBeNull();
    expect(await store.find('AccessToken', ids.kept, now)).not.toBeNull();
  });

  it('on another instance: never finds, consumes, destroys or revokes a row of this one', async () => {
    const [mine, theirs] = [await storeOf(), await storeOf()];
    const now = new Date();
    const [id, uid, code, grant] = [randomId(), randomId(), randomId(), randomId()];
    await mine.upsert('Session', id, { uid }, addSeconds(now, 60), { grantId: grant, uid, userCode: code });
    await mine.upsert('AuthorizationCode', id, {}, addSeconds(now, 60), { ...none, grantId: grant });
    expect(await theirs.find('Session', id, now)).toBeNull();
    expect(await theirs.findByUid('Session', uid, now)).toBeNull();
    expect(await theirs.findByUserCode('Session', code, now)).toBeNull();
    expect(await theirs.consume('AuthorizationCode', id, now)).toBe(false);
    await theirs.destroy('Session', id);
    await theirs.revokeByGrantId(grant);
    // The same model and id on the other instance is another row.
    await theirs.upsert('AuthorizationCode', id, { theirs: true }, addSeconds(now, 60), none);
    expect(await mine.find('Session', id, now)).not.toBeNull();
    expect(await mine.find('AuthorizationCode', id, now)).toEqual({ payload: {}, consumedAt: null });
    expect(await mine.consume('AuthorizationCode', id, now)).toBe(true);
    expect(await theirs.find('AuthorizationCode', id, now)).toEqual({ payload: { theirs: true }, consumedAt: null });
  });
});
