import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { eventTime } from '../../src/domain/mail/mail-time.ts';

// Issue 10 item 21. RL-10 (OWASP MFA and Credential Stuffing cheat sheets): a correct password
// followed by wrong codes means the password is known to someone; nobody was told. And a login
// from a new location (SPEC §1) completed without a word to the user.
describe.each(engines())('login notices on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function enrolled() {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    return { instance, admin, owner, secret };
  }
  const mailsTo = async (to: string, subject: string) => (await deliveredTo(deps, to)).filter((m) => m.subject.includes(subject));

  it('mails the user once when a login passes the password and then fails the code, with time and address', async () => {
    const { instance, admin, secret } = await enrolled();
    const attacker = new Client(app);
    expect((await attacker.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    const wrong = oathtool(secret, deps.clock.now()) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i += 1)
      expect(errorCode(await attacker.post('/api/v1/auth/verify', { code: wrong }))).toBe('invalid_credentials');
    const mails = await mailsTo(admin.email, 'then a wrong code');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(attacker.ip);
    expect(mails[0]!.text).toContain(eventTime(deps.clock.now()));
    expect(mails[0]!.text).not.toContain(wrong);
    // A wrong password is no such sign: no mail.
    await new Client(app).login(instance.slug, admin.email, 'not the password!');
    expect(await mailsTo(admin.email, 'then a wrong code')).toHaveLength(1);
  });

  it('mails the user when a login completes from a new location, not from a known one', async () => {
    const { instance, admin, secret } = await enrolled();
    const traveller = new Client(app);
    expect(
      (
        await traveller.request({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
          payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
        })
      ).json().next,
    ).toBe('verify');
    const verified = await traveller.request({
      method: 'POST',
      url: '/api/v1/auth/verify',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
      payload: { code: oathtool(secret, deps.clock.now()) },
    });
    expect(verified.json()).toEqual({ next: 'done' });
    const mails = await mailsTo(admin.email, 'New sign-in');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(traveller.ip);
    expect(mails[0]!.text).toContain('Firefox on Linux');
    expect(mails[0]!.text).toContain(eventTime(deps.clock.now()));
    // The same browser is now a known location: no code, no mail.
    deps.clock.advanceSeconds(30);
    expect((await traveller.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(await mailsTo(admin.email, 'New sign-in')).toHaveLength(1);
  });
});
