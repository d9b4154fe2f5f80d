import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

const CODE_LINE = /^Backup code: (\S+)$/m;

// Issue 10 item 4: the password and the mailbox (an emailed backup code) replaced the app or
// turned 2FA off. NIST SP 800-63B-4 §4.1.2.1: binding or removing an authenticator needs the
// strongest factor the account has; SPEC rule 4: a backup code logs in and nothing more.
describe.each(engines())('password + emailed backup code against the app on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  const latestCode = async (email: string) =>
    CODE_LINE.exec((await deliveredTo(deps, email)).filter((m) => CODE_LINE.test(m.text)).at(-1)!.text)![1]!;

  /** The owner enrols; the attacker, with the password and the mailbox, logs in with a backup code. */
  async function attackerWithBackupCode() {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    const attacker = new Client(app);
    expect((await attacker.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await attacker.post('/api/v1/auth/verify', { backupCode: await latestCode(admin.email) })).json()).toEqual({ next: 'done' });
    return { instance, admin, owner, attacker, secret };
  }
  const appRow = (userId: string) =>
    database.db.selectFrom('totp_credentials').select('secret_sealed').where('user_id', '=', userId).executeTakeFirst();

  it('refuses to turn 2FA off with a backup code, and uses nothing up', async () => {
    const { instance, admin, attacker } = await attackerWithBackupCode();
    const code = await latestCode(admin.email);
    const off = await attacker.request({
      method: 'PUT',
      url: '/api/v1/me/two-factor',
      payload: { enabled: false, backupCode: code, currentPassword: PASSWORD },
    });
    expect(off.statusCode).toBe(403);
    expect(errorCode(off)).toBe('totp_required');
    expect(
      errorCode(await attacker.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: false, backupCode: code } })),
    ).toBe('totp_required');
    expect(await appRow(admin.id)).toBeDefined();
    expect((await attacker.get('/api/v1/me')).json().twoFactor.status).toBe('active');
    // The code still works: nothing was used up.
    const later = new Client(app);
    expect((await later.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await later.post('/api/v1/auth/verify', { backupCode: code })).json()).toEqual({ next: 'done' });
  });

  it('refuses to bind a new app from a backup-code login, even with the password', async () => {
    const { admin, attacker } = await attackerWithBackupCode();
    const before = await appRow(admin.id);
    expect(errorCode(await attacker.post('/api/v1/auth/setup', { currentPassword: PASSWORD }))).toBe('reauthentication_required');
    expect(
      errorCode(await attacker.post('/api/v1/auth/setup', { currentPassword: PASSWORD, backupCode: await latestCode(admin.email) })),
    ).toBe('totp_required');
    expect(errorCode(await attacker.post('/api/v1/auth/setup'))).toBe('reauthentication_required');
    expect(await appRow(admin.id)).toEqual(before);
  });

  it('refuses a step-up with a backup code, uses nothing up, and keeps sensitive actions closed', async () => {
    const { instance, admin, attacker } = await attackerWithBackupCode();
    const code = await latestCode(admin.email);
    const stepUp = await attacker.post('/api/v1/auth/step-up', { backupCode: code });
    expect(stepUp.statusCode).toBe(403);
    expect(errorCode(stepUp)).toBe('totp_required');
    // A backup-code login is not a fresh TOTP verification: password change and admin actions ask for a code.
    expect(
      errorCode(await attacker.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' })),
    ).toBe('step_up_required');
    expect(
      errorCode(
        await attacker.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 7 } } }),
      ),
    ).toBe('step_up_required');
    // The code was not used up: it still logs in.
    const again = new Client(app);
    expect((await again.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await again.post('/api/v1/auth/verify', { backupCode: code })).json()).toEqual({ next: 'done' });
  });

  it('says in GET /me which factor this session verified', async () => {
    const { attacker, secret, instance, admin } = await attackerWithBackupCode();
    expect((await attacker.get('/api/v1/me')).json().secondFactor).toBe('backup_code');
    const viaApp = new Client(app);
    expect((await viaApp.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    await viaApp.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
    expect((await viaApp.get('/api/v1/me')).json().secondFactor).toBe('totp');
  });
});
