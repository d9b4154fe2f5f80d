import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { bindAuthenticator, newLocation, rememberLocation, sessionRow } from '../../support/known-locations.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { randomId } from '../../../src/crypto/random.ts';
import { signOutEverywhere } from '../../../src/domain/account/change-password.ts';

describe.each(engines())('PasswordStore on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ database, deps } = t));

  async function givenMember() {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const tenant = deps.stores.forInstance(instance.id);
    const original = (await tenant.passwords.findHashes(user.id, 0))!.current!;
    return { instance, user, tenant, passwords: tenant.passwords, original };
  }

  it('replaces the password: the old hash goes to the history, newest first, and the change time is now', async () => {
    const { user, tenant, passwords, original } = await givenMember();
    const t1 = new Date('2026-04-01T09:00:00.001Z');
    const t2 = addSeconds(t1, 60);
    expect(await passwords.replace(user.id, 'hash-1', t1, 5)).toBe(true);
    expect(await passwords.replace(user.id, 'hash-2', t2, 5)).toBe(true);
    expect(await passwords.findHashes(user.id, 5)).toEqual({ current: 'hash-2', previous: ['hash-1', original] });
    expect(await passwords.findHashes(user.id, 1)).toEqual({ current: 'hash-2', previous: ['hash-1'] });
    expect(await passwords.findHashes(user.id, 0)).toEqual({ current: 'hash-2', previous: [] });
    expect((await tenant.users.findById(user.id))?.passwordChangedAt).toEqual(t2);
  });

  it('keeps only the newest keepHistory previous hashes, and none with 0', async () => {
    const { user, passwords } = await givenMember();
    const now = new Date();
    for (let i = 1; i <= 5; i += 1) await passwords.replace(user.id, `hash-${i}`, addSeconds(now, i), 2);
    expect(await passwords.findHashes(user.id, 10)).toEqual({ current: 'hash-5', previous: ['hash-4', 'hash-3'] });
    await passwords.replace(user.id, 'hash-6', addSeconds(now, 6), 0);
    expect(await passwords.findHashes(user.id, 10)).toEqual({ current: 'hash-6', previous: [] });
  });

  it('gives a first password to a user without one (invited) with nothing in the history', async () => {
    const { instance } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const invited = await tenant.users.insert({
      id: randomId(),
      email: `invited-${instance.slug}@example.test`,
      name: 'Ivy Invited',
      role: 'member',
      passwordHash: null,
      passwordChangedAt: null,
    });
    expect(await tenant.passwords.findHashes(invited.id, 5)).toEqual({ current: null, previous: [] });
    const now = new Date();
    expect(await tenant.passwords.replace(invited.id, 'first-hash', now, 5)).toBe(true);
    expect(await tenant.passwords.findHashes(invited.id, 5)).toEqual({ current: 'first-hash', previous: [] });
    expect((await tenant.users.findById(invited.id))?.passwordChangedAt).toEqual(now);
  });

  it('loses no password to the history when 6 changes race (each replaces the one before it)', async () => {
    const { user, passwords, original } = await givenMember();
    const now = new Date();
    const hashes = Array.from({ length: 6 }, (_, i) => `raced-${i}`);
    expect(await Promise.all(hashes.map((h, i) => passwords.replace(user.id, h, addSeconds(now, i), 10)))).toEqual(hashes.map(() => true));
    const after = (await passwords.findHashes(user.id, 10))!;
    expect([after.current, ...after.previous].sort()).toEqual([original, ...hashes].sort());
  });

  it('changes nothing when the caller’s transaction rolls back', async () => {
    const { instance, user, tenant, original } = await givenMember();
    const before = await tenant.users.findById(user.id);
    const failed = await deps.stores
      .transaction(async (stores) => {
        expect(await stores.forInstance(instance.id).passwords.replace(user.id, 'rolled-back', new Date(), 5)).toBe(true);
        throw new Error('the caller failed after replacing');
      })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(await tenant.passwords.findHashes(user.id, 5)).toEqual({ current: original, previous: [] });
    expect((await tenant.users.findById(user.id))?.passwordChangedAt).toEqual(before?.passwordChangedAt);
  });

  it('neither reads nor replaces the password of another instance’s user, nor of an unknown one', async () => {
    const { user, tenant, original } = await givenMember();
    const before = await tenant.users.findById(user.id);
    const elsewhere = deps.stores.forInstance((await givenInstance(deps)).instance.id).passwords;
    expect(await elsewhere.findHashes(user.id, 5)).toBeNull();
    expect(await elsewhere.replace(user.id, 'taken-over', new Date(), 5)).toBe(false);
    expect(await tenant.passwords.findHashes('no-such-user', 5)).toBeNull();
    expect(await tenant.passwords.replace('no-such-user', 'x', new Date(), 5)).toBe(false);
    expect(await tenant.passwords.findHashes(user.id, 5)).toEqual({ current: original, previous: [] });
    expect((await tenant.users.findById(user.id))?.passwordChangedAt).toEqual(before?.passwordChangedAt);
  });

  it('leaves sessions, locations and links to the caller, whose signOutEverywhere ends them for this user only', async () => {
    const { instance, user, tenant } = await givenMember();
    const neighbour = await givenUser(deps, instance);
    const other = await givenInstance(deps);
    const now = new Date();
    const everyone = [
      { instanceId: instance.id, id: user.id, email: user.email },
      { instanceId: instance.id, id: neighbour.id, email: neighbour.email },
      { instanceId: other.instance.id, id: other.admin.id, email: other.admin.email },
    ];
    const keptSession: Record<string, string> = {};
    for (const person of everyone) {
      keptSession[person.id] = await bindAuthenticator(deps, person.instanceId, person.id, person.email);
      await deps.stores.forInstance(person.instanceId).sessions.rotate(null, sessionRow(person.id));
      await rememberLocation(deps, person.instanceId, person.id, newLocation(addSeconds(now, 86400)), now);
      await deps.stores.accountTokens.issue(person.id, 'reset', `link-${person.id}`, now, addSeconds(now, 3600));
    }
    const left = async (userId: string) => ({
      sessions: (await database.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length,
      locations: (await deps.stores.forInstance(everyone.find((p) => p.id === userId)!.instanceId).knownLocations.listForUser(userId, now))
        .length,
      link: (await deps.stores.accountTokens.find(`link-${userId}`, 'reset', now)) !== null,
    });
    await tenant.passwords.replace(user.id, 'new-hash', now, 5);
    expect(await left(user.id)).toEqual({ sessions: 2, locations: 1, link: true });
    await signOutEverywhere(tenant, user.id, keptSession[user.id]);
    expect(await left(user.id)).toEqual({ sessions: 1, locations: 0, link: false });
    expect((await database.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).map((s) => s.id)).toEqual([
      keptSession[user.id],
    ]);
    expect(await left(neighbour.id)).toEqual({ sessions: 2, locations: 1, link: true });
    expect(await left(other.admin.id)).toEqual({ sessions: 2, locations: 1, link: true });
    // Another instance's stores end nothing of this user's.
    await signOutEverywhere(deps.stores.forInstance(other.instance.id), neighbour.id);
    expect(await left(neighbour.id)).toEqual({ sessions: 2, locations: 1, link: true });
  });
});
