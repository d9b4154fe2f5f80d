import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { ACCOUNT_POLICY } from '../../src/domain/throttle/throttle.ts';

// Issue 10 item 5: a stolen session cookie, within 10 minutes of a TOTP login, replaced the app
// or turned 2FA off with no password and no code, and bound an attacker's app to a user without
// 2FA. SPEC rule 4, OWASP MFA cheat sheet ("do not rely solely on the active session"), OTP-13:
// removing or replacing a factor needs the current password and a current code in that request;
// binding a first app from a full session needs the current password.
describe.each(engines())('a stolen session cookie on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  /** A fresh TOTP login whose cookie the attacker copies (same cookies, same address). */
  async function freshTotpSession() {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    const victim = new Client(app);
    await loginWithCode(victim, deps, instance.slug, admin.email, secret);
    return { instance, admin, secret, stolen: victim };
  }
  const put = (client: Client, payload: object) => client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload });
  const sealedSecret = async (userId: string) =>
    (await database.db.selectFrom('totp_credentials').select('secret_sealed').where('user_id', '=', userId).executeTakeFirst())
      ?.secret_sealed;

  it('cannot turn 2FA off without the password and a current code in the request', async () => {
    const { admin, secret, stolen } = await freshTotpSession();
    const noProof = await put(stolen, { enabled: false });
    expect(noProof.statusCode).toBe(403);
    expect(errorCode(noProof)).toBe('reauthentication_required');
    expect(errorCode(await put(stolen, { enabled: false, code: oathtool(secret, deps.clock.now()) }))).toBe('reauthentication_required');
    expect(errorCode(await put(stolen, { enabled: false, currentPassword: PASSWORD }))).toBe('reauthentication_required');
    expect(
      errorCode(await put(stolen, { enabled: false, currentPassword: 'not the password!', code: oathtool(secret, deps.clock.now()) })),
    ).toBe('invalid_credentials');
    expect(await sealedSecret(admin.id)).toBeDefined();
    const off = await put(stolen, { enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) });
    expect(off.json()).toEqual({ enabled: false, associated: false, status: 'off', enforced: false });
    expect(await sealedSecret(admin.id)).toBeUndefined();
  });

  it('cannot start replacing the app without the password and a current code in the request', async () => {
    const { admin, secret, stolen } = await freshTotpSession();
    expect(errorCode(await stolen.post('/api/v1/auth/setup'))).toBe('reauthentication_required');
    expect(errorCode(await stolen.post('/api/v1/auth/setup', { currentPassword: PASSWORD }))).toBe('reauthentication_required');
    expect(errorCode(await stolen.post('/api/v1/auth/setup', { code: oathtool(secret, deps.clock.now()) }))).toBe(
      'reauthentication_required',
    );
    expect(
      errorCode(
        await stolen.post('/api/v1/auth/setup', { currentPassword: 'not the password!', code: oathtool(secret, deps.clock.now()) }),
      ),
    ).toBe('invalid_credentials');
    const before = await sealedSecret(admin.id);
    const setup = await stolen.post('/api/v1/auth/setup', { currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) });
    expect(setup.statusCode).toBe(200);
    // The code of that request is used up (RFC 6238 §5.2): it cannot start a second setup.
    expect(
      errorCode(await stolen.post('/api/v1/auth/setup', { currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) })),
    ).toBe('invalid_credentials');
    deps.clock.advanceSeconds(30);
    expect((await stolen.post('/api/v1/auth/setup/confirm', { code: oathtool(setup.json().secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    expect(await sealedSecret(admin.id)).not.toEqual(before);
  });

  it('cannot bind a first app to a user without 2FA without the password', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const stolen = new Client(app);
    expect((await stolen.login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(errorCode(await stolen.post('/api/v1/auth/setup'))).toBe('reauthentication_required');
    expect(errorCode(await stolen.post('/api/v1/auth/setup', { currentPassword: 'not the password!' }))).toBe('invalid_credentials');
    expect(await sealedSecret(member.id)).toBeUndefined();
    expect((await stolen.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).statusCode).toBe(200);
  });

  it('asks nothing again at the setup stage of a login, where the password was just typed', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, member.email, PASSWORD);
    await put(client, { enabled: true });
    expect((await client.login(instance.slug, member.email, PASSWORD)).json().next).toBe('setup');
    const setup = await client.post('/api/v1/auth/setup');
    expect(setup.statusCode).toBe(200);
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(setup.json().secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
  });

  it('counts wrong passwords on a key of the session: guessing locks it, even the right one', async () => {
    const { instance, admin, secret, stolen } = await freshTotpSession();
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) {
      expect(errorCode(await stolen.post('/api/v1/auth/setup', { currentPassword: `guess ${i} of many!`, code: '000000' }))).toBe(
        'invalid_credentials',
      );
    }
    expect(errorCode(await put(stolen, { enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) }))).toBe(
      'locked',
    );
    // On a key of the stolen session, not the account's: strangers cannot lock the owner's own
    // re-authentication, and the thief's guesses do not lock the owner's logins elsewhere.
    expect((await new Client(app).login(instance.slug, admin.email, PASSWORD)).json()).toMatchObject({
      next: 'verify',
      methods: ['totp', 'backup_code'],
    });
    expect(await sealedSecret(admin.id)).toBeDefined();
  });
});
