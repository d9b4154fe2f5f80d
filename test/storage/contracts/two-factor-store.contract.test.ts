import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, givenUser, useTestDeps, type TestDeps } from '../../support/deps.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import { newSessionToken } from '../../../src/domain/session/session.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';
import { deviceKey, ipKey } from '../../../src/domain/throttle/throttle.ts';

describe.each(engines())('TwoFactorStore, KnownLocationStore and ThrottleStore on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ database, deps } = t));

  const session = (userId: string) => {
    const token = newSessionToken();
    const now = new Date();
    return {
      token,
      row: {
        id: token.id,
        secretHash: token.secretHash,
        userId,
        stage: 'done' as const,
        lastSeenAt: now,
        expiresAt: addSeconds(now, 3600),
        ip: null,
        userAgent: null,
        secondFactorAt: now,
      },
    };
  };
  const location = (network = '203.0.113.0/24') => ({
    id: randomBytes(15).toString('base64url'),
    secretHash: 'h'.repeat(64),
    network,
    device: 'Chrome on Linux',
    expiresAt: addSeconds(new Date(), 86400),
  });
  const backup = (to: string, mac = `mac-${randomBytes(6).toString('hex')}`) => ({
    mac,
    mail: sealMail(deps.secretBox, { to, subject: 'Your backup code', text: 'Backup code: X', html: '<p>X</p>' }),
  });
  async function enrolled() {
    const { instance, admin } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const first = session(admin.id);
    await tenant.sessions.rotate(null, first.row);
    const next = session(admin.id);
    await tenant.twoFactor.confirmEnrolment(
      admin.id,
      'sealed',
      100,
      { previousSessionId: first.token.id, next: next.row },
      location(),
      backup(admin.email),
      [],
      new Date(),
    );
    return { instance, admin, tenant, sessionId: next.token.id };
  }

  it('binds no app when the session that started the setup is gone (a reset won the race)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const first = session(admin.id);
    await tenant.sessions.rotate(null, first.row);
    await tenant.sessions.deleteForUser(admin.id);
    const next = session(admin.id);
    expect(
      await tenant.twoFactor.confirmEnrolment(
        admin.id,
        'sealed',
        100,
        { previousSessionId: first.token.id, next: next.row },
        location(),
        backup(admin.email),
        [],
        new Date(),
      ),
    ).toBe(false);
    for (const table of ['totp_credentials', 'backup_codes', 'known_locations', 'sessions'] as const) {
      expect(await database.db.selectFrom(table).select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    }
  });

  it('confirms an enrolment: the app, 2FA on, one new session and one known location', async () => {
    const { instance, admin, tenant } = await enrolled();
    const row = await database.db.selectFrom('totp_credentials').selectAll().where('user_id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ instance_id: instance.id, secret_sealed: 'sealed', last_used_step: 100 });
    const user = await tenant.users.findById(admin.id);
    expect(user?.twoFactorEnabled).toBe(true);
    expect(await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).toHaveLength(1);
    expect(await tenant.knownLocations.listForUser(admin.id, new Date())).toHaveLength(1);
  });

  it('consumes a step once, only newer than the last, even when 10 try at once', async () => {
    const { admin, tenant } = await enrolled();
    expect(await tenant.twoFactor.consumeStep(admin.id, { step: 100, secretSealed: 'sealed' }, { now: new Date() })).toBe(false);
    expect(await tenant.twoFactor.consumeStep(admin.id, { step: 99, secretSealed: 'sealed' }, { now: new Date() })).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => tenant.twoFactor.consumeStep(admin.id, { step: 101, secretSealed: 'sealed' }, { now: new Date() })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('starts a session and stores the location only when the step was consumed', async () => {
    const { admin, tenant, sessionId } = await enrolled();
    const refused = session(admin.id);
    const loc = location();
    expect(
      await tenant.twoFactor.consumeStep(
        admin.id,
        { step: 50, secretSealed: 'sealed' },
        {
          swap: { previousSessionId: sessionId, next: refused.row },
          location: loc,
          now: new Date(),
        },
      ),
    ).toBe(false);
    // The session that presented a refused factor is ended all the same; no new one starts.
    expect(await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).toEqual([]);
    expect(await tenant.knownLocations.listForUser(admin.id, new Date())).toHaveLength(1);
    const pending = session(admin.id);
    await tenant.sessions.rotate(null, pending.row);
    const accepted = session(admin.id);
    expect(
      await tenant.twoFactor.consumeStep(
        admin.id,
        { step: 101, secretSealed: 'sealed' },
        {
          swap: { previousSessionId: pending.token.id, next: accepted.row },
          location: loc,
          now: new Date(),
        },
      ),
    ).toBe(true);
    const after = (await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).map((r) => r.id);
    expect(after).toEqual([accepted.token.id]);
    expect(await tenant.knownLocations.listForUser(admin.id, new Date())).toHaveLength(2);
  });

  it('lets only one of two different valid factors on one session through (MFA-09)', async () => {
    const { admin, tenant, sessionId } = await enrolled();
    const [a, b] = [session(admin.id), session(admin.id)];
    const results = await Promise.all([
      tenant.twoFactor.consumeStep(
        admin.id,
        { step: 101, secretSealed: 'sealed' },
        { swap: { previousSessionId: sessionId, next: a.row }, now: new Date() },
      ),
      tenant.twoFactor.consumeStep(
        admin.id,
        { step: 102, secretSealed: 'sealed' },
        { swap: { previousSessionId: sessionId, next: b.row }, now: new Date() },
      ),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).toHaveLength(1);
  });

  it('cannot consume, disable or list for a user of another instance', async () => {
    const { admin } = await enrolled();
    const other = await givenInstance(deps);
    const foreign = deps.stores.forInstance(other.instance.id);
    expect(await foreign.twoFactor.consumeStep(admin.id, { step: 500, secretSealed: 'sealed' }, { now: new Date() })).toBe(false);
    expect(await foreign.twoFactor.deleteAuthenticator(admin.id)).toBe(false);
    expect(await foreign.twoFactor.deleteBackupCode(admin.id)).toBe(false);
    expect(await foreign.twoFactor.setEnabled(admin.id, false)).toBe(false);
    expect((await deps.stores.forInstance(admin.instanceId).users.findById(admin.id))?.twoFactorEnabled).toBe(true);
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', admin.id).execute()).toHaveLength(1);
    expect(await foreign.knownLocations.listForUser(admin.id, new Date())).toEqual([]);
    expect(await foreign.knownLocations.deleteAllForUser(admin.id)).toBe(0);
  });

  it('removes the app once and turns 2FA off, leaving the other rows to their own stores', async () => {
    const { admin, tenant } = await enrolled();
    expect(await tenant.twoFactor.deleteAuthenticator(admin.id)).toBe(true);
    expect(await tenant.twoFactor.deleteAuthenticator(admin.id)).toBe(false);
    expect(await database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    expect(await tenant.twoFactor.setEnabled(admin.id, false)).toBe(true);
    expect((await tenant.users.findById(admin.id))?.twoFactorEnabled).toBe(false);
    expect(await tenant.knownLocations.listForUser(admin.id, new Date())).toHaveLength(1);
  });

  it('lists only unexpired locations and deletes one by id for its owner only', async () => {
    const { instance, admin, tenant } = await enrolled();
    const member = await givenUser(deps, instance);
    const [mine] = await tenant.knownLocations.listForUser(admin.id, new Date());
    expect(await tenant.knownLocations.delete(member.id, mine!.id)).toBe(false);
    expect(await tenant.knownLocations.listForUser(admin.id, addSeconds(new Date(), 2 * 86400))).toEqual([]);
    expect(await tenant.knownLocations.delete(admin.id, mine!.id)).toBe(true);
  });

  it('stores the backup code with the enrolment and queues its mail in the same statement', async () => {
    const { admin } = await enrolled();
    expect(await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).execute()).toHaveLength(1);
    const mails = await database.db
      .selectFrom('outbox')
      .selectAll()
      .where('recipient', '=', admin.email)
      .where('subject', '=', 'Your backup code')
      .execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.sealed).toBe(true);
    expect(mails[0]!.text_body).not.toContain('Backup code');
  });

  it('consumes a backup code once under 20 concurrent uses, replacing it and queuing one mail', async () => {
    const { admin, tenant } = await enrolled();
    const [{ code_mac: oldMac }] = (await database.db
      .selectFrom('backup_codes')
      .select('code_mac')
      .where('user_id', '=', admin.id)
      .execute()) as [{ code_mac: string }];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        tenant.twoFactor.consumeBackupCode(admin.id, oldMac, backup(admin.email, `next-${i}-${randomBytes(4).toString('hex')}`), {
          now: new Date(),
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const rows = await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.code_mac).toMatch(/^next-/);
    const mails = await database.db
      .selectFrom('outbox')
      .select('id')
      .where('recipient', '=', admin.email)
      .where('subject', '=', 'Your backup code')
      .execute();
    expect(mails).toHaveLength(2);
  });

  it('removes the backup code once, and replaces it with a new one', async () => {
    const { admin, tenant } = await enrolled();
    expect(await tenant.twoFactor.deleteBackupCode(admin.id)).toBe(true);
    expect(await tenant.twoFactor.deleteBackupCode(admin.id)).toBe(false);
    expect(await database.db.selectFrom('backup_codes').select('user_id').where('user_id', '=', admin.id).execute()).toEqual([]);
    await tenant.twoFactor.replaceBackupCode(admin.id, 'mac-1', new Date());
    await tenant.twoFactor.replaceBackupCode(admin.id, 'mac-2', new Date());
    expect(
      (await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).execute()).map((r) => r.code_mac),
    ).toEqual(['mac-2']);
  });

  it('locks a user of its own instance only, and the lock makes a second transaction wait', async () => {
    const { admin, tenant } = await enrolled();
    const other = await givenInstance(deps);
    const order: string[] = [];
    await Promise.all([
      deps.stores.transaction(async (stores) => {
        expect(await stores.forInstance(other.instance.id).users.lockById(admin.id)).toBeNull();
        expect((await stores.forInstance(admin.instanceId).users.lockById(admin.id))?.id).toBe(admin.id);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await stores.forInstance(admin.instanceId).twoFactor.setEnabled(admin.id, false);
        order.push('first');
      }),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await deps.stores.transaction(async (stores) => {
          const locked = await stores.forInstance(admin.instanceId).users.lockById(admin.id);
          order.push(`second saw enabled=${locked?.twoFactorEnabled}`);
        });
      })(),
    ]);
    expect(order).toEqual(['first', 'second saw enabled=false']);
    expect((await tenant.users.findById(admin.id))?.twoFactorEnabled).toBe(false);
  });

  it('cannot use or replace the backup code of a user of another instance', async () => {
    const { admin } = await enrolled();
    const other = await givenInstance(deps);
    const [{ code_mac }] = (await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).execute()) as [
      { code_mac: string },
    ];
    const foreign = deps.stores.forInstance(other.instance.id);
    expect(await foreign.twoFactor.consumeBackupCode(admin.id, code_mac, backup(admin.email), { now: new Date() })).toBe(false);
    // The composite foreign key (instance_id, user_id) refuses a row pointing into another instance.
    await expect(foreign.twoFactor.replaceBackupCode(admin.id, backup(admin.email).mac, new Date())).rejects.toThrow(/foreign key/);
    expect(
      (await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).executeTakeFirstOrThrow()).code_mac,
    ).toBe(code_mac);
  });

  it('counts concurrent failures without losing any, and restarts a decaying key after quiet', async () => {
    const key = deviceKey(randomBytes(6).toString('hex'));
    const now = new Date();
    await Promise.all(Array.from({ length: 20 }, () => deps.stores.throttles.recordFailure([{ key, decaySeconds: null }], now)));
    expect((await deps.stores.throttles.recordFailure([{ key, decaySeconds: null }], now)).get(key)).toBe(21);
    const ip = ipKey(`ip-test-${randomBytes(6).toString('hex')}`);
    await deps.stores.throttles.recordFailure([{ key: ip, decaySeconds: 60 }], now);
    expect((await deps.stores.throttles.recordFailure([{ key: ip, decaySeconds: 60 }], addSeconds(now, 30))).get(ip)).toBe(2);
    expect((await deps.stores.throttles.recordFailure([{ key: ip, decaySeconds: 60 }], addSeconds(now, 100))).get(ip)).toBe(1);
  });
});
