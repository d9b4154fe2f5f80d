import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';
import { emailKey, type User } from '../../../src/domain/account/user.ts';
import { newAuthSession } from '../../../src/domain/auth/new-session.ts';
import { USER_PROFILE } from '../../../src/domain/auth/profile.ts';
import { ipKey, passwordKey } from '../../../src/domain/throttle/throttle.ts';
import type { Instance } from '../../../src/domain/instance/instance.ts';

const DAY = 86_400;

/**
 * The password step's lookup (CredentialStore.findForLogin): from (instance slug, email key) to the
 * account, the throttle states asked for and the account's own live known locations, whatever
 * exists. Known locations are set up through the two-factor port that writes them at login.
 */
describe.each(engines())('CredentialStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  const client = { ip: '203.0.113.7', userAgent: 'test' };
  const sessionRow = (userId: string, now: Date, stage: 'setup' | 'verify' | 'done') => ({
    ...newAuthSession({ clock: { now: () => now } }, USER_PROFILE, stage, client, null).row,
    userId,
  });
  const location = (expiresAt: Date) => ({
    id: randomBytes(15).toString('base64url'),
    secretHash: randomBytes(32).toString('hex'),
    network: '203.0.113.0/24',
    device: 'Chrome on Linux',
    expiresAt,
  });

  /** Gives the user an app (2FA on) and returns a function that stores a known location created at `createdAt`. */
  async function enrol(instance: Instance, user: User, now: Date) {
    const tenant = deps.stores.forInstance(instance.id);
    const setup = sessionRow(user.id, now, 'setup');
    await tenant.sessions.rotate(null, setup);
    const backup = {
      mac: `mac-${randomBytes(6).toString('hex')}`,
      mail: sealMail(deps.secretBox, { to: user.email, subject: 'Backup code', text: 'X', html: '<p>X</p>' }),
    };
    const confirmed = await tenant.twoFactor.confirmEnrolment(
      user.id,
      'sealed',
      100,
      { previousSessionId: setup.id, next: sessionRow(user.id, now, 'done') },
      null,
      backup,
      [],
      now,
    );
    expect(confirmed).toBe(true);
    let step = 100;
    return async (createdAt: Date, expiresAt: Date) => {
      const loc = location(expiresAt);
      expect(await tenant.twoFactor.consumeStep(user.id, { step: ++step, secretSealed: 'sealed' }, { location: loc, now: createdAt })).toBe(
        true,
      );
      return loc.id;
    };
  }

  it('finds the account by its email key with its instance, password hash and app, and no location when none is presented', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance, `Grace.${randomBytes(3).toString('hex')}@Example.test`);
    const plain = await deps.stores.credentials.findForLogin({
      instanceSlug: instance.slug,
      emailKey: emailKey(user.email),
      throttleKeys: [],
      deviceIds: [],
      now: new Date(),
    });
    expect(plain.account?.instance.id).toBe(instance.id);
    expect(plain.account?.user).toMatchObject({ id: user.id, email: user.email, instanceId: instance.id, status: 'active' });
    expect(plain.account?.user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(plain.account?.associated).toBe(false);
    expect(plain.locations).toEqual([]);
    await enrol(instance, user, new Date());
    const enrolled = await deps.stores.credentials.findForLogin({
      instanceSlug: instance.slug,
      emailKey: emailKey(user.email),
      throttleKeys: [],
      deviceIds: [],
      now: new Date(),
    });
    expect(enrolled.account?.associated).toBe(true);
    expect(enrolled.account?.user.twoFactorEnabled).toBe(true);
  });

  it('returns a disabled user: refusing them is the use-case’s decision, not a missing row', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    await deps.stores.forInstance(instance.id).users.update(user.id, { status: 'disabled' });
    const found = await deps.stores.credentials.findForLogin({
      instanceSlug: instance.slug,
      emailKey: emailKey(user.email),
      throttleKeys: [],
      deviceIds: [],
      now: new Date(),
    });
    expect(found.account?.user).toMatchObject({ id: user.id, status: 'disabled' });
  });

  it('answers no account, but the throttle states asked for, for an unknown instance and for an unknown email', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const addLocation = await enrol(instance, user, new Date());
    const live = await addLocation(new Date(), addSeconds(new Date(), DAY));
    const now = new Date();
    const unknownSlug = `none-${randomBytes(5).toString('hex')}`;
    const unknownEmail = `nobody-${randomBytes(3).toString('hex')}@example.test`;
    const cases = [
      { instanceSlug: unknownSlug, emailKey: emailKey(user.email) },
      { instanceSlug: instance.slug, emailKey: unknownEmail },
    ];
    for (const { instanceSlug, emailKey: key } of cases) {
      const password = passwordKey(instanceSlug, key);
      const ip = ipKey(`2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`);
      await deps.stores.throttles.recordFailure(
        [
          { key: password, decaySeconds: null },
          { key: ip, decaySeconds: 3600 },
        ],
        now,
      );
      const found = await deps.stores.credentials.findForLogin({
        instanceSlug,
        emailKey: key,
        throttleKeys: [password, ip],
        deviceIds: [live],
        now,
      });
      expect(found.account).toBeNull();
      expect(found.throttles.get(password)?.failures).toBe(1);
      expect(found.throttles.get(ip)?.failures).toBe(1);
      // A real location id of someone else reaches no unknown account.
      expect(found.locations).toEqual([]);
    }
  });

  it('returns only the user’s own presented locations that are unexpired and younger than the instance’s trust', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const other = await givenUser(deps, instance);
    const now = new Date();
    const addLocation = await enrol(instance, user, now);
    const addOthers = await enrol(instance, other, now);
    const fresh = await addLocation(addSeconds(now, -DAY), addSeconds(now, 29 * DAY));
    const expired = await addLocation(addSeconds(now, -3 * DAY), addSeconds(now, -1));
    const old = await addLocation(addSeconds(now, -10 * DAY), addSeconds(now, 20 * DAY));
    const notPresented = await addLocation(addSeconds(now, -DAY), addSeconds(now, 29 * DAY));
    const othersLocation = await addOthers(addSeconds(now, -DAY), addSeconds(now, 29 * DAY));
    const lookup = () =>
      deps.stores.credentials.findForLogin({
        instanceSlug: instance.slug,
        emailKey: emailKey(user.email),
        throttleKeys: [],
        deviceIds: [fresh, expired, old, othersLocation, 'no-such-location'],
        now,
      });
    expect((await lookup()).locations.map((l) => l.id).sort()).toEqual([fresh, old].sort());
    expect((await lookup()).locations.map((l) => l.id)).not.toContain(notPresented);
    // An administrator lowering the trust shortens the trust already given (docs/two-factor.md):
    // a location older than the instance's current trust days is no longer known.
    await deps.stores.instances.updateKnownLocationSettings(instance.id, { trustDays: 5, requireSameNetwork: true });
    const shortened = await lookup();
    expect(shortened.locations).toHaveLength(1);
    expect(shortened.locations[0]).toMatchObject({ id: fresh, network: '203.0.113.0/24' });
    expect(shortened.locations[0]!.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the same email in another instance apart: its account, its throttle state and its locations', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const email = `same-${randomBytes(3).toString('hex')}@example.test`;
    const inA = await givenUser(deps, a.instance, email);
    const inB = await givenUser(deps, b.instance, email);
    const now = new Date();
    const addInA = await enrol(a.instance, inA, now);
    const addInB = await enrol(b.instance, inB, now);
    const locationA = await addInA(now, addSeconds(now, DAY));
    const locationB = await addInB(now, addSeconds(now, DAY));
    const keyA = passwordKey(a.instance.slug, emailKey(email));
    const keyB = passwordKey(b.instance.slug, emailKey(email));
    await deps.stores.throttles.recordFailure([{ key: keyB, decaySeconds: null }], now);
    const find = (instance: Instance) =>
      deps.stores.credentials.findForLogin({
        instanceSlug: instance.slug,
        emailKey: emailKey(email),
        throttleKeys: [keyA],
        deviceIds: [locationA, locationB],
        now,
      });
    const fromA = await find(a.instance);
    expect(fromA.account?.user.id).toBe(inA.id);
    expect(fromA.account?.instance.id).toBe(a.instance.id);
    expect(fromA.locations.map((l) => l.id)).toEqual([locationA]);
    expect(fromA.throttles.get(keyA)).toBeUndefined();
    const fromB = await find(b.instance);
    expect(fromB.account?.user.id).toBe(inB.id);
    expect(fromB.locations.map((l) => l.id)).toEqual([locationB]);
  });
});
