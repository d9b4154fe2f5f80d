/**
 * Issue 10 items 5 and 10 together: re-authentication inside a session (turning 2FA off, the
 * password change) counted on the account's password key, so a stranger's five failed logins
 * locked the owner out of exactly the changes they need while attacked; and a successful one left
 * its reserved attempt on the client's address. It now counts on a key of the session.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { ACCOUNT_POLICY, ipKey, type ThrottleKey } from '../../src/domain/throttle/throttle.ts';

describe.each(engines())('re-authentication under a stranger lock on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function strangerLocks(slug: string, email: string): Promise<void> {
    const stranger = new Client(app);
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) {
      expect(errorCode(await stranger.login(slug, email, `stranger guess ${i}!`))).toBe('invalid_credentials');
    }
    expect(errorCode(await new Client(app).login(slug, email, PASSWORD))).toBe('locked');
  }

  const failuresOf = async (key: ThrottleKey) => (await deps.stores.throttles.find([key])).get(key)?.failures ?? 0;

  it('lets the owner turn 2FA off and change the password while strangers have locked the account', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const owner = new Client(app);
    await owner.login(instance.slug, member.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    await strangerLocks(instance.slug, member.email);
    const before = await failuresOf(ipKey(owner.ip));
    const off = await owner.request({
      method: 'PUT',
      url: '/api/v1/me/two-factor',
      payload: { enabled: false, currentPassword: PASSWORD, code: oathtool(secret, deps.clock.now()) },
    });
    expect(off.statusCode).toBe(200);
    // A success gives the address its reserved attempt back: the address counts failures only.
    expect(await failuresOf(ipKey(owner.ip))).toBe(before);
    const changed = await owner.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'owner takes it back 2026' });
    expect(changed.json()).toEqual({ next: 'done' });
  });

  it('still locks a stolen session that guesses the password, on its own key', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const stolen = new Client(app);
    await stolen.login(instance.slug, member.email, PASSWORD);
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) {
      const guess = await stolen.post('/api/v1/auth/password', {
        currentPassword: `thief guess ${i}!`,
        newPassword: 'thief owns it now 2026',
      });
      expect(errorCode(guess)).toBe('invalid_credentials');
    }
    expect(
      errorCode(await stolen.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'thief owns it now 2026' })),
    ).toBe('locked');
    // The owner is told at the lock, and logs in elsewhere as before.
    expect((await deliveredTo(deps, member.email)).some((m) => /locked/i.test(m.subject))).toBe(true);
    expect((await new Client(app).login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'done' });
  });

  it('turns a forgot-password request still queued when the password changes into no link', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: member.email });
    deps.clock.advanceSeconds(1);
    const owner = new Client(app);
    await owner.login(instance.slug, member.email, PASSWORD);
    expect(
      (await owner.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'changed before the worker ran' })).json(),
    ).toEqual({ next: 'done' });
    // deliveredTo drains the worker, which handles the queued request only now.
    expect((await deliveredTo(deps, member.email)).filter((m) => m.subject.startsWith('Reset'))).toEqual([]);
  });
});
