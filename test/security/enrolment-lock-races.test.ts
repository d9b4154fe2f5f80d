import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { givenInstance, useTestDeps, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createStores } from '../../src/storage/stores.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';
import { OPERATOR_PROFILE, USER_PROFILE } from '../../src/domain/auth/profile.ts';
import { newAuthSession } from '../../src/domain/auth/new-session.ts';
import { sealMail } from '../../src/domain/mail/seal-mail.ts';
import { heldOpen, settledFlag, until, waitingBehind, WAIT_LIMIT_MS } from '../support/lock-waits.ts';

// Two lock-order races at the core/cold seam (review of issue 11, fixed in 100fe67), replayed in
// one fixed interleaving each instead of hoping a burst hits the window: a transaction holding the
// competing rows is left open, the operation under test is started on another connection, the test
// waits until PostgreSQL shows it waiting on a lock, and only then lets the first one go
// (OWASP ASVS 5.0 V2.3.4: business logic limits hold under concurrency). PostgreSQL only: PGlite
// has one connection, so nothing there can wait on a lock.

describe.runIf(process.env.TEST_DATABASE_URL)('enrolment lock races on PostgreSQL', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestDeps('postgres', (t) => ({ database, deps } = t));

  const client = { ip: '127.0.0.1', userAgent: 'test' };

  // Bug 1: confirmEnrolment was one statement without a lock. Its `alive` CTE read the setup
  // session from the statement's snapshot, taken before the CLI reset committed; its UPDATE then
  // waited for the reset's row lock and, re-checked on the reset's row (no app: still "null"),
  // bound the app after the reset, with a full session. A reset must win (SPEC: CLI reset ends
  // every operator session; RFC 6238 binding only by a live setup session).
  it("binds no operator app when a CLI reset commits while the operator's enrolment waits for it", async () => {
    const operator = await createOperator(deps, {
      email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
      name: 'Olga Operator',
      password: 'support staff passphrase 2026',
    });
    const sessions = deps.stores.operatorSessions;
    const setup = newAuthSession(deps, OPERATOR_PROFILE, 'setup', client, null);
    await sessions.rotate(null, { ...setup.row, operatorId: operator.id }, { clearKeys: [], audit: [] });

    const started = Date.now();
    // The reset's own statement (the CLI's operators.resetTotp), committed only when we say so.
    const reset = heldOpen(database.db, (tx) => createStores(tx).operators.resetTotp(operator.email));
    expect((await reset.ran)?.id).toBe(operator.id);

    const next = newAuthSession(deps, OPERATOR_PROFILE, 'done', client, { at: deps.clock.now(), kind: 'totp' });
    const enrolment = sessions.confirmEnrolment(
      operator.id,
      'sealed-by-test',
      100,
      { previousId: setup.row.id, next: { ...next.row, operatorId: operator.id } },
      [],
    );
    const enrolmentFlag = settledFlag(enrolment);
    await until('the enrolment waits on the reset', async () => {
      if (enrolmentFlag.settled()) throw new Error('the enrolment finished without waiting for the reset');
      return (await waitingBehind(database.db, reset.pid())) >= 1;
    });
    await reset.commit();

    expect(await enrolment).toBe(false);
    const row = await database.db
      .selectFrom('operators')
      .select(['totp_secret_sealed', 'totp_confirmed_at'])
      .where('id', '=', operator.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ totp_secret_sealed: null, totp_confirmed_at: null });
    // No session at all, so no full ('done') one: the reset ended the setup session, nothing started.
    const left = await database.db.selectFrom('operator_sessions').select(['id', 'stage']).where('operator_id', '=', operator.id).execute();
    expect(left).toEqual([]);
    expect(Date.now() - started).toBeLessThan(WAIT_LIMIT_MS);
  });

  // Bug 2: the user's enrolment took FOR UPDATE on the users row. A login step by code holds the
  // user's totp_credentials row and inserts a session, whose foreign key check takes FOR KEY SHARE
  // on that users row; FOR UPDATE blocks it while the enrolment waits for the credential row: a
  // deadlock (40P01; PostgreSQL docs "Row-Level Locks", "Deadlocks"). Replayed: a third transaction
  // holds the user's backup_codes row, which pauses the enrolment after its user-row lock and before
  // the credential rows; the login step runs in that window; then the backup-code row is let go.
  it('lets a login step by code and a re-enrolment of the same user both finish, without a deadlock', async () => {
    const { instance, admin } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const session = (stage: 'done' | 'verify') => ({
      ...newAuthSession(deps, USER_PROFILE, stage, client, null).row,
      userId: admin.id,
    });
    const backup = (mac: string) => ({
      mac,
      mail: sealMail(deps.secretBox, { to: admin.email, subject: 'Your backup code', text: 'Backup code: X', html: '<p>X</p>' }),
    });
    // An app (step 100 used) and a backup code, and a signed-in session that starts the re-enrolment.
    const first = session('done');
    await tenant.sessions.rotate(null, first);
    const signedIn = session('done');
    const enrolledFirst = await tenant.twoFactor.confirmEnrolment(
      admin.id,
      'sealed-old',
      100,
      { previousSessionId: first.id, next: signedIn },
      null,
      backup('mac-old'),
      [],
      deps.clock.now(),
    );
    expect(enrolledFirst).toBe(true);
    // A second browser, half logged in, about to present a code of the old app.
    const pending = session('verify');
    await tenant.sessions.rotate(null, pending);

    const started = Date.now();
    const gate = heldOpen(database.db, (tx) =>
      sql`select user_id from backup_codes where instance_id = ${instance.id} and user_id = ${admin.id} for update`.execute(tx),
    );
    expect((await gate.ran).rows).toHaveLength(1);

    const reEnrolled = session('done');
    const enrolment = tenant.twoFactor.confirmEnrolment(
      admin.id,
      'sealed-new',
      200,
      { previousSessionId: signedIn.id, next: reEnrolled },
      null,
      backup('mac-new'),
      [],
      deps.clock.now(),
    );
    const enrolmentFlag = settledFlag(enrolment);
    await until('the enrolment waits on the backup-code row', async () => {
      if (enrolmentFlag.settled()) throw new Error('the enrolment finished without waiting for the backup-code row');
      return (await waitingBehind(database.db, gate.pid())) >= 1;
    });

    const loggedIn = session('done');
    const login = tenant.twoFactor.consumeStep(admin.id, 101, {
      swap: { previousSessionId: pending.id, next: loggedIn },
      now: deps.clock.now(),
    });
    const loginFlag = settledFlag(login);
    // Either the login step finishes (the enrolment's user-row lock lets its foreign key check
    // through) or it waits on that lock; both are a fixed point to let the backup-code row go.
    await until('the login step finished or waits on a lock', async () => {
      return loginFlag.settled() || (await waitingBehind(database.db, gate.pid())) >= 2;
    });
    await gate.commit();

    const [enrolled, loginResult] = await Promise.allSettled([enrolment, login]);
    const deadlocks = [enrolled, loginResult].filter((r) => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code);
    expect(deadlocks).toEqual([]);
    expect(enrolled).toEqual({ status: 'fulfilled', value: true });
    expect(loginResult).toEqual({ status: 'fulfilled', value: true });

    // Consistent: the new app with its step, 2FA on, the new backup code, the enrolment's session.
    const credential = await database.db
      .selectFrom('totp_credentials')
      .select(['secret_sealed', 'last_used_step'])
      .where('user_id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(credential).toEqual({ secret_sealed: 'sealed-new', last_used_step: 200 });
    expect((await tenant.users.findById(admin.id))?.twoFactorEnabled).toBe(true);
    const code = await database.db.selectFrom('backup_codes').select('code_mac').where('user_id', '=', admin.id).executeTakeFirstOrThrow();
    expect(code.code_mac).toBe('mac-new');
    const left = (await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).map((r) => r.id);
    expect(left).toContain(reEnrolled.id);
    expect(left).not.toContain(signedIn.id);
    expect(left).not.toContain(pending.id);
    // Not asserted: the login step's new session (loggedIn) survives the re-enrolment here, as
    // the login committed after the enrolment's statement took its snapshot; see docs/security.md.
    expect(Date.now() - started).toBeLessThan(WAIT_LIMIT_MS);
  });
});
