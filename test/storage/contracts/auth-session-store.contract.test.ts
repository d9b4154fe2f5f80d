import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { sealMail } from '../../../src/domain/mail/seal-mail.ts';
import { createOperator } from '../../../src/domain/support/create-operator.ts';
import { OPERATOR_PROFILE, USER_PROFILE, type PrincipalProfile } from '../../../src/domain/auth/profile.ts';
import { newAuthSession, type NewAuthSession } from '../../../src/domain/auth/new-session.ts';
import { lookupTimes, stepUpUntil } from '../../../src/domain/auth/session-rules.ts';
import type { ActiveAuthSession, AuthSessionStore } from '../../../src/domain/auth/auth-session-store.ts';

/**
 * What a principal gives this suite: its port, how a session row of it is stored, and its
 * login-step writes (consume a TOTP step, confirm an enrolment) in their own shapes.
 */
type Row = NewAuthSession<'done' | 'verify' | 'setup'>;

interface Principal {
  store: AuthSessionStore<ActiveAuthSession>;
  start(row: Row): Promise<void>;
  /** `secretSealed`: the app's sealed secret the code was checked against (the enrolled one unless given). */
  consumeStep(step: number, previousId: string, next: Row, secretSealed?: string): Promise<boolean>;
  confirmEnrolment(step: number, previousId: string, next: Row): Promise<boolean>;
  /** Ends every session of the principal (a reset, a CLI reset, a password change). */
  endAll(): Promise<void>;
}

type Given = (deps: TestDeps) => Promise<Principal>;

const userPrincipal: Given = async (deps) => {
  const { instance, admin } = await givenInstance(deps);
  const tenant = deps.stores.forInstance(instance.id);
  const backup = {
    mac: `mac-${randomBytes(6).toString('hex')}`,
    mail: sealMail(deps.secretBox, { to: admin.email, subject: 'Backup code', text: 'X', html: '<p>X</p>' }),
  };
  return {
    store: deps.stores.sessions,
    start: async (row) => void (await tenant.sessions.rotate(null, { ...row, userId: admin.id })),
    consumeStep: async (step, previousId, next, secretSealed = 'sealed') =>
      tenant.twoFactor.consumeStep(
        admin.id,
        { step, secretSealed },
        {
          swap: { previousSessionId: previousId, next: { ...next, userId: admin.id } },
          now: new Date(),
        },
      ),
    confirmEnrolment: async (step, previousId, next) =>
      tenant.twoFactor.confirmEnrolment(
        admin.id,
        'sealed',
        step,
        { previousSessionId: previousId, next: { ...next, userId: admin.id } },
        null,
        backup,
        [],
        new Date(),
      ),
    endAll: async () => void (await tenant.sessions.deleteForUser(admin.id)),
  };
};

const operatorPrincipal: Given = async (deps) => {
  const operator = await createOperator(deps, {
    email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
    name: 'Olga Operator',
    password: 'support staff passphrase 2026',
  });
  const sessions = deps.stores.operatorSessions;
  return {
    store: sessions,
    start: (row) => sessions.rotate(null, { ...row, operatorId: operator.id }, { clearKeys: [], audit: [] }),
    consumeStep: async (step, previousId, next, secretSealed = 'sealed') =>
      (
        await sessions.consumeStep(
          operator.id,
          { step, secretSealed },
          { previousId, next: { ...next, operatorId: operator.id } },
          { clearKeys: [], audit: [] },
        )
      ).used,
    confirmEnrolment: (step, previousId, next) =>
      sessions.confirmEnrolment(operator.id, 'sealed', step, { previousId, next: { ...next, operatorId: operator.id } }, []),
    endAll: async () => void (await deps.stores.operators.resetTotp(operator.email)),
  };
};

const principals: Array<[string, PrincipalProfile, Given]> = [
  ['users', USER_PROFILE, userPrincipal],
  ['support operators', OPERATOR_PROFILE, operatorPrincipal],
];

describe.each(engines())('the kernel’s session port on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  describe.each(principals)('for %s', (_name, profile, given) => {
    const at = (now: Date, stage: 'done' | 'verify' | 'setup' = 'done', verifiedAt: Date | null = null) =>
      newAuthSession(
        { clock: { now: () => now } },
        profile,
        stage,
        { ip: '127.0.0.1', userAgent: 'test' },
        verifiedAt ? { at: verifiedAt, kind: 'totp' } : null,
      );
    const find = (p: Principal, id: string, hash: string, now: Date) => p.store.findActive(id, hash, lookupTimes(profile, now));

    it('finds a live session with its stored hash, and nothing past its end or its idle limit', async () => {
      const p = await given(deps);
      const start = new Date();
      const s = at(start);
      await p.start(s.row);
      expect((await find(p, s.row.id, s.row.secretHash, start))?.secretHash).toBe(s.row.secretHash);
      expect(await find(p, s.row.id, s.row.secretHash, addSeconds(start, profile.fullSeconds + 1))).toBeNull();
      expect(await find(p, s.row.id, s.row.secretHash, addSeconds(start, profile.idleSeconds + 1))).toBeNull();
    });

    it('refreshes last_seen only with the right secret, so an active session does not go idle', async () => {
      const p = await given(deps);
      const start = new Date();
      const s = at(start);
      await p.start(s.row);
      const early = addSeconds(start, profile.idleSeconds - 60);
      await find(p, s.row.id, 'f'.repeat(64), early);
      expect(await find(p, s.row.id, s.row.secretHash, addSeconds(start, profile.idleSeconds + 1))).toBeNull();
      const q = await given(deps);
      const t = at(start);
      await q.start(t.row);
      await find(q, t.row.id, t.row.secretHash, early);
      expect((await find(q, t.row.id, t.row.secretHash, addSeconds(start, profile.idleSeconds + 1)))?.session.lastSeenAt.getTime()).toBe(
        early.getTime(),
      );
    });

    it('keeps the enrolment a session started, and deletes a session only with its secret hash', async () => {
      const p = await given(deps);
      const now = new Date();
      const s = at(now, 'setup');
      await p.start(s.row);
      const pending = { secretSealed: 'sealed-pending', expiresAt: addSeconds(now, 900) };
      expect(await p.store.keepPendingTotp(s.row.id, pending, now)).toEqual(pending);
      expect((await find(p, s.row.id, s.row.secretHash, now))?.session.pendingTotp).toEqual(pending);
      await p.store.delete(s.row.id, 'a'.repeat(64));
      expect(await find(p, s.row.id, s.row.secretHash, now)).not.toBeNull();
      await p.store.delete(s.row.id, s.row.secretHash);
      expect(await find(p, s.row.id, s.row.secretHash, now)).toBeNull();
    });

    it('keeps a live pending enrolment and answers it to every caller, and takes a new one once it expired', async () => {
      const p = await given(deps);
      const now = new Date();
      const s = at(now, 'setup');
      await p.start(s.row);
      const first = { secretSealed: 'sealed-first', expiresAt: addSeconds(now, 900) };
      expect(await p.store.keepPendingTotp(s.row.id, first, now)).toEqual(first);
      const racing = await Promise.all(
        ['a', 'b', 'c'].map((x) =>
          p.store.keepPendingTotp(s.row.id, { secretSealed: `sealed-${x}`, expiresAt: addSeconds(now, 960) }, now),
        ),
      );
      expect(racing).toEqual([first, first, first]);
      const later = addSeconds(now, 900);
      const next = { secretSealed: 'sealed-next', expiresAt: addSeconds(later, 900) };
      expect(await p.store.keepPendingTotp(s.row.id, next, later)).toEqual(next);
      expect(await p.store.keepPendingTotp('no-such-session', next, later)).toBeNull();
    });

    it('reads a verified code back so the one step-up rule applies: fresh strictly before stepUpSeconds', async () => {
      const p = await given(deps);
      const now = new Date();
      const s = at(now, 'done', now);
      await p.start(s.row);
      const session = (await find(p, s.row.id, s.row.secretHash, now))!.session;
      expect(session.secondFactorKind).toBe('totp');
      expect(stepUpUntil(profile, session, addSeconds(now, profile.stepUpSeconds - 1))?.getTime()).toBe(
        addSeconds(now, profile.stepUpSeconds).getTime(),
      );
      expect(stepUpUntil(profile, session, addSeconds(now, profile.stepUpSeconds))).toBeNull();
    });

    // The drift this kernel removed: operators' enrolment was not gated on the session still being alive.
    it('binds no app when the session that started the setup is gone (a reset won the race)', async () => {
      const p = await given(deps);
      const now = new Date();
      const s = at(now, 'setup');
      await p.start(s.row);
      await p.endAll();
      const next = at(now);
      expect(await p.confirmEnrolment(100, s.row.id, next.row)).toBe(false);
      expect(await find(p, next.row.id, next.row.secretHash, now)).toBeNull();
    });

    // The drift this kernel removed: the replay predicate differed between users and operators.
    it('accepts a TOTP step once: the same or an older step is a replay, a newer one passes', async () => {
      const p = await given(deps);
      const now = new Date();
      const setup = at(now, 'setup');
      await p.start(setup.row);
      const full = at(now);
      expect(await p.confirmEnrolment(100, setup.row.id, full.row)).toBe(true);
      for (const step of [100, 99]) {
        const attempt = at(now, 'verify');
        await p.start(attempt.row);
        expect(await p.consumeStep(step, attempt.row.id, at(now).row)).toBe(false);
      }
      const attempt = at(now, 'verify');
      await p.start(attempt.row);
      const done = at(now);
      expect(await p.consumeStep(101, attempt.row.id, done.row)).toBe(true);
      expect(await find(p, attempt.row.id, attempt.row.secretHash, now)).toBeNull();
      expect((await find(p, done.row.id, done.row.secretHash, now))?.totp?.lastUsedStep).toBe(101);
    });

    // SES-07: a code checked against the app the lookup read must not be accepted once that app
    // was replaced (a re-enrolment) or reset, even with a step newer than the new app's.
    it('refuses a newer step checked against a secret that is no longer the app, and accepts it on the app', async () => {
      const p = await given(deps);
      const now = new Date();
      const setup = at(now, 'setup');
      await p.start(setup.row);
      expect(await p.confirmEnrolment(100, setup.row.id, at(now).row)).toBe(true);
      const attempt = at(now, 'verify');
      await p.start(attempt.row);
      const refused = at(now);
      expect(await p.consumeStep(101, attempt.row.id, refused.row, 'sealed-replaced')).toBe(false);
      expect(await find(p, refused.row.id, refused.row.secretHash, now)).toBeNull();
      const again = at(now, 'verify');
      await p.start(again.row);
      const done = at(now);
      expect(await p.consumeStep(101, again.row.id, done.row)).toBe(true);
      expect((await find(p, done.row.id, done.row.secretHash, now))?.totp?.lastUsedStep).toBe(101);
    });
  });
});
