import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { bindAuthenticator, newLocation, rememberLocation, sessionRow } from '../../support/known-locations.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';

describe.each(engines())('KnownLocationStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  /** A user with an authenticator, so that codes they use remember locations. */
  async function givenMember(instance?: Awaited<ReturnType<typeof givenInstance>>['instance']) {
    instance ??= (await givenInstance(deps)).instance;
    const user = await givenUser(deps, instance);
    await bindAuthenticator(deps, instance.id, user.id, user.email);
    return { instance, user, locations: deps.stores.forInstance(instance.id).knownLocations };
  }

  it('lists the user’s unexpired locations, most recently used first, as they were stored', async () => {
    const { instance, user, locations } = await givenMember();
    const now = new Date('2026-06-01T12:00:00Z');
    const office = newLocation(addSeconds(now, 30 * 86400), '198.51.100.0/24');
    const home = newLocation(addSeconds(now, 30 * 86400), '2001:db8:1::/48');
    const shortLived = newLocation(addSeconds(now, 3600), '192.0.2.0/24');
    await rememberLocation(deps, instance.id, user.id, office, now);
    await rememberLocation(deps, instance.id, user.id, shortLived, addSeconds(now, 60));
    await rememberLocation(deps, instance.id, user.id, home, addSeconds(now, 120));
    // A later login from the office, trusted there without a code, uses that location again.
    await deps.stores
      .forInstance(instance.id)
      .sessions.rotate(null, sessionRow(user.id, addSeconds(now, 150)), { touchLocationId: office.id });
    const listed = await locations.listForUser(user.id, addSeconds(now, 180));
    expect(listed.map((l) => l.network)).toEqual(['198.51.100.0/24', '2001:db8:1::/48', '192.0.2.0/24']);
    expect(listed[0]).toEqual({
      id: office.id,
      network: '198.51.100.0/24',
      device: office.device,
      createdAt: now,
      lastUsedAt: addSeconds(now, 150),
      expiresAt: office.expiresAt,
    });
    // Gone from the list at its expiry (not only after it).
    expect((await locations.listForUser(user.id, shortLived.expiresAt)).map((l) => l.id)).toEqual([office.id, home.id]);
    expect(await locations.listForUser(user.id, addSeconds(now, 31 * 86400))).toEqual([]);
  });

  it('forgets one location for its owner only: another user’s id is refused and theirs stays', async () => {
    const { instance, user, locations } = await givenMember();
    const { user: neighbour } = await givenMember(instance);
    const now = new Date();
    const mine = newLocation(addSeconds(now, 86400));
    const kept = newLocation(addSeconds(now, 86400));
    const theirs = newLocation(addSeconds(now, 86400));
    await rememberLocation(deps, instance.id, user.id, mine, now);
    await rememberLocation(deps, instance.id, user.id, kept, now);
    await rememberLocation(deps, instance.id, neighbour.id, theirs, now);
    expect(await locations.delete(user.id, theirs.id)).toBe(false);
    expect(await locations.delete(user.id, 'no-such-location')).toBe(false);
    expect(await locations.delete(user.id, mine.id)).toBe(true);
    expect(await locations.delete(user.id, mine.id)).toBe(false);
    expect((await locations.listForUser(user.id, now)).map((l) => l.id)).toEqual([kept.id]);
    expect((await locations.listForUser(neighbour.id, now)).map((l) => l.id)).toEqual([theirs.id]);
  });

  it('forgets all of one user’s locations, the expired ones too, and reports how many', async () => {
    const { instance, user, locations } = await givenMember();
    const { user: neighbour } = await givenMember(instance);
    const now = new Date();
    await rememberLocation(deps, instance.id, user.id, newLocation(addSeconds(now, 86400)), now);
    // Used two hours ago, expired an hour ago, still stored until housekeeping deletes it: it goes too.
    await rememberLocation(deps, instance.id, user.id, newLocation(addSeconds(now, -3600)), addSeconds(now, -7200));
    await rememberLocation(deps, instance.id, neighbour.id, newLocation(addSeconds(now, 86400)), now);
    expect(await locations.listForUser(user.id, now)).toHaveLength(1);
    expect(await locations.deleteAllForUser(user.id)).toBe(2);
    expect(await locations.listForUser(user.id, now)).toEqual([]);
    expect(await locations.deleteAllForUser(user.id)).toBe(0);
    expect(await locations.listForUser(neighbour.id, now)).toHaveLength(1);
  });

  it('neither lists nor forgets the locations of another instance’s user', async () => {
    const { instance, user, locations } = await givenMember();
    const elsewhere = deps.stores.forInstance((await givenInstance(deps)).instance.id).knownLocations;
    const now = new Date();
    const location = newLocation(addSeconds(now, 86400));
    await rememberLocation(deps, instance.id, user.id, location, now);
    expect(await elsewhere.listForUser(user.id, now)).toEqual([]);
    expect(await elsewhere.delete(user.id, location.id)).toBe(false);
    expect(await elsewhere.deleteAllForUser(user.id)).toBe(0);
    expect((await locations.listForUser(user.id, now)).map((l) => l.id)).toEqual([location.id]);
  });
});
