import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';
import { emailKey } from '../../../src/domain/account/user.ts';
import { randomId } from '../../../src/crypto/random.ts';
import { newAuthSession } from '../../../src/domain/auth/new-session.ts';
import { lookupTimes } from '../../../src/domain/auth/session-rules.ts';
import { OPERATOR_PROFILE, USER_PROFILE } from '../../../src/domain/auth/profile.ts';
import { operatorPasswordKey, passwordKey } from '../../../src/domain/throttle/throttle.ts';
import type { Operator } from '../../../src/domain/support/operator-store.ts';

/**
 * Support operators (OperatorStore): outside every instance (SPEC §1), with their own login
 * lookup. Operators belong to no instance, so the "other instance" here is every instance: an
 * instance's users with the same email never reach an operator lookup, and the reverse.
 */
describe.each(engines())('OperatorStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  const client = { ip: '203.0.113.9', userAgent: 'test' };
  const unique = () => randomBytes(4).toString('hex');
  const insertOperator = (email = `op-${unique()}@vendor.test`) =>
    deps.stores.operators.insert({ id: randomId(), email, name: 'Olga Operator', passwordHash: `hash-${unique()}` });
  const operatorSession = (operatorId: string, now: Date, stage: 'setup' | 'verify' | 'done') => ({
    ...newAuthSession({ clock: { now: () => now } }, OPERATOR_PROFILE, stage, client, stage === 'done' ? { at: now, kind: 'totp' } : null)
      .row,
    operatorId,
  });
  const device = (expiresAt: Date) => ({
    id: randomBytes(15).toString('base64url'),
    secretHash: randomBytes(32).toString('hex'),
    expiresAt,
  });

  /** Sets up the operator's app at a first login, storing `first` as the browser's device; returns a way to store more. */
  async function enrol(operator: Operator, now: Date, first = device(addSeconds(now, 86_400))) {
    const sessions = deps.stores.operatorSessions;
    const setup = operatorSession(operator.id, now, 'setup');
    await sessions.rotate(null, setup, { clearKeys: [], audit: [] });
    const done = operatorSession(operator.id, now, 'done');
    expect(await sessions.confirmEnrolment(operator.id, 'sealed', 100, { previousId: setup.id, next: done }, [], first)).toBe(true);
    let step = 100;
    return {
      sessionId: done.id,
      secretHash: done.secretHash,
      firstDevice: first.id,
      async addDevice(expiresAt: Date) {
        const verify = operatorSession(operator.id, now, 'verify');
        await sessions.rotate(null, verify, { clearKeys: [], audit: [] });
        const next = device(expiresAt);
        const result = await sessions.consumeStep(
          operator.id,
          { step: ++step, secretSealed: 'sealed' },
          { previousId: verify.id, next: operatorSession(operator.id, now, 'done') },
          { clearKeys: [], audit: [], device: next },
        );
        expect(result).toEqual({ used: true, deviceStored: true });
        return next.id;
      },
    };
  }

  it('stores an operator with a case-insensitive unique email and finds them by it', async () => {
    const email = `Op-${unique()}@Vendor.test`;
    const operator = await insertOperator(email);
    expect(operator).toMatchObject({ email, name: 'Olga Operator' });
    expect(operator.createdAt).toBeInstanceOf(Date);
    expect(await deps.stores.operators.findByEmail(email.toUpperCase())).toEqual(operator);
    expect(await deps.stores.operators.findByEmail(`nobody-${unique()}@vendor.test`)).toBeNull();
    const error = await insertOperator(email.toLowerCase()).catch((e) => e);
    expect(error.code).toBe('conflict');
  });

  it('looks an operator up for login with their password hash and whether they have an app', async () => {
    const operator = await insertOperator();
    const lookup = () => deps.stores.operators.findForLogin(emailKey(operator.email), [], [], new Date());
    const before = await lookup();
    expect(before.operator).toMatchObject({ ...operator, associated: false });
    expect(before.operator?.passwordHash).toMatch(/^hash-/);
    expect(before.devices).toEqual([]);
    await enrol(operator, new Date());
    expect((await lookup()).operator?.associated).toBe(true);
  });

  it('answers no operator, but the throttle states asked for, for an unknown email', async () => {
    const key = emailKey(`nobody-${unique()}@vendor.test`);
    const now = new Date();
    await deps.stores.throttles.recordFailure([{ key: operatorPasswordKey(key), decaySeconds: null }], now);
    const found = await deps.stores.operators.findForLogin(key, [operatorPasswordKey(key)], ['no-such-device'], now);
    expect(found.operator).toBeNull();
    expect(found.throttles.get(operatorPasswordKey(key))?.failures).toBe(1);
    expect(found.devices).toEqual([]);
  });

  it('returns only the operator’s own unexpired devices among those presented', async () => {
    const operator = await insertOperator();
    const other = await insertOperator();
    const now = new Date();
    const mine = await enrol(operator, now);
    const expired = await mine.addDevice(addSeconds(now, -1));
    const notPresented = await mine.addDevice(addSeconds(now, 86_400));
    const others = (await enrol(other, now)).firstDevice;
    const found = await deps.stores.operators.findForLogin(
      emailKey(operator.email),
      [],
      [mine.firstDevice, expired, others, 'no-such-device'],
      now,
    );
    expect(found.devices.map((d) => d.id)).toEqual([mine.firstDevice]);
    expect(found.devices[0]!.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(found.devices.map((d) => d.id)).not.toContain(notPresented);
  });

  it('resets an operator’s app and ends their sessions, and only theirs; null for an unknown email', async () => {
    const operator = await insertOperator();
    const other = await insertOperator();
    const now = new Date();
    const mine = await enrol(operator, now);
    const theirs = await enrol(other, now);
    const find = (id: string, hash: string) => deps.stores.operatorSessions.findActive(id, hash, lookupTimes(OPERATOR_PROFILE, now));
    expect(await deps.stores.operators.resetTotp(operator.email.toUpperCase())).toEqual(operator);
    expect(await find(mine.sessionId, mine.secretHash)).toBeNull();
    expect((await deps.stores.operators.findForLogin(emailKey(operator.email), [], [], now)).operator?.associated).toBe(false);
    expect((await find(theirs.sessionId, theirs.secretHash))?.totp).not.toBeNull();
    expect((await deps.stores.operators.findForLogin(emailKey(other.email), [], [], now)).operator?.associated).toBe(true);
    expect(await deps.stores.operators.resetTotp(`nobody-${unique()}@vendor.test`)).toBeNull();
  });

  it('disables an operator: their sessions and devices end, login and session lookups find nobody, others untouched; once only', async () => {
    const operator = await insertOperator();
    const other = await insertOperator();
    const now = new Date();
    const mine = await enrol(operator, now);
    const theirs = await enrol(other, now);
    const find = (id: string, hash: string) => deps.stores.operatorSessions.findActive(id, hash, lookupTimes(OPERATOR_PROFILE, now));
    const disabled = await deps.stores.operators.disable(operator.email.toUpperCase(), now);
    expect(disabled).toMatchObject({ id: operator.id, email: operator.email });
    expect(disabled!.disabledAt.getTime()).toBe(now.getTime());
    expect(await find(mine.sessionId, mine.secretHash)).toBeNull();
    const login = await deps.stores.operators.findForLogin(emailKey(operator.email), [], [mine.firstDevice], now);
    expect(login.operator).toBeNull();
    expect(login.devices).toEqual([]);
    expect(await find(theirs.sessionId, theirs.secretHash)).not.toBeNull();
    // A second disable keeps the first time.
    expect((await deps.stores.operators.disable(operator.email, addSeconds(now, 60)))!.disabledAt.getTime()).toBe(now.getTime());
    const listed = await deps.stores.operators.list();
    expect(listed.find((o) => o.id === operator.id)).toMatchObject({ associated: true, disabledAt: now });
    expect(listed.find((o) => o.id === other.id)).toMatchObject({ associated: true, disabledAt: null });
    expect(await deps.stores.operators.disable(`nobody-${unique()}@vendor.test`, now)).toBeNull();
  });

  it('keeps instances’ users with the same email out of operator lookups, and operators out of theirs', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const email = `shared-${unique()}@vendor.test`;
    const now = new Date();
    const user = await givenUser(deps, a.instance, email);
    await givenUser(deps, b.instance, email);
    // A user of an instance with an app and a known location, and failures on their password key.
    const tenant = deps.stores.forInstance(a.instance.id);
    const setup = { ...newAuthSession({ clock: { now: () => now } }, USER_PROFILE, 'setup', client, null).row, userId: user.id };
    await tenant.sessions.rotate(null, setup);
    const location = { ...device(addSeconds(now, 86_400)), network: '203.0.113.0/24', device: 'Chrome on Linux' };
    const backup = {
      mac: `mac-${unique()}`,
      mail: sealMail(deps.secretBox, { to: email, subject: 'Backup code', text: 'X', html: '<p>X</p>' }),
    };
    const done = { ...newAuthSession({ clock: { now: () => now } }, USER_PROFILE, 'done', client, null).row, userId: user.id };
    expect(
      await tenant.twoFactor.confirmEnrolment(
        user.id,
        'sealed',
        100,
        { previousSessionId: setup.id, next: done },
        location,
        backup,
        [],
        now,
      ),
    ).toBe(true);
    const userKey = passwordKey(a.instance.slug, emailKey(email));
    await deps.stores.throttles.recordFailure([{ key: userKey, decaySeconds: null }], now);

    // No operator has the email yet: the users are not found, and a CLI reset touches none of them.
    expect(await deps.stores.operators.findByEmail(email)).toBeNull();
    const none = await deps.stores.operators.findForLogin(emailKey(email), [operatorPasswordKey(emailKey(email))], [location.id], now);
    expect(none).toMatchObject({ operator: null, devices: [] });
    expect(none.throttles.get(operatorPasswordKey(emailKey(email)))).toBeUndefined();
    expect(await deps.stores.operators.resetTotp(email)).toBeNull();
    expect((await tenant.users.findById(user.id))?.twoFactorEnabled).toBe(true);

    // An operator with the same email: each lookup finds its own principal, never the other.
    const operator = await insertOperator(email);
    const opDevice = (await enrol(operator, now)).firstDevice;
    const asOperator = await deps.stores.operators.findForLogin(emailKey(email), [], [location.id, opDevice], now);
    expect(asOperator.operator?.id).toBe(operator.id);
    expect(asOperator.devices.map((d) => d.id)).toEqual([opDevice]);
    const asUser = await deps.stores.credentials.findForLogin({
      instanceSlug: a.instance.slug,
      emailKey: emailKey(email),
      throttleKeys: [userKey],
      deviceIds: [location.id, opDevice],
      now,
    });
    expect(asUser.account?.user.id).toBe(user.id);
    expect(asUser.account?.user.passwordHash).not.toBe(asOperator.operator?.passwordHash);
    expect(asUser.locations.map((l) => l.id)).toEqual([location.id]);
    expect(asUser.throttles.get(userKey)?.failures).toBe(1);
    // The operator's CLI reset leaves the user's app alone.
    await deps.stores.operators.resetTotp(email);
    expect((await tenant.users.findById(user.id))?.twoFactorEnabled).toBe(true);
    expect(
      (
        await deps.stores.credentials.findForLogin({
          instanceSlug: a.instance.slug,
          emailKey: emailKey(email),
          throttleKeys: [],
          deviceIds: [],
          now,
        })
      ).account?.associated,
    ).toBe(true);
  });
});
