import { describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { deliveredTo, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { ACCOUNT_POLICY, IP_POLICY, passwordKey } from '../../src/domain/throttle/throttle.ts';

// SPEC rule 11 and NIST SP 800-63B §3.2.2: one model for password, TOTP (and backup codes).
describe('lockout', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ database, deps, app } = t));

  // Each test comes from its own address, so the per-IP counter of one test never trips another.
  const newIp = () => `100.${64 + randomInt(64)}.${randomInt(256)}.${1 + randomInt(254)}`;
  const loginFrom = (ip: string, body: object) =>
    new Client(app).request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: body });
  const mailTo = async (to: string) => (await deliveredTo(deps, to)).filter((m) => m.subject.includes('locked'));

  it('locks the password after 5 failures in a row, refuses even the right password, unlocks after the delay, and emails the user', async () => {
    const { instance, admin } = await givenInstance(deps);
    const ip = newIp();
    const wrong = { instance: instance.slug, email: admin.email, password: 'not the password!' };
    const right = { ...wrong, password: PASSWORD };
    for (let i = 1; i < ACCOUNT_POLICY.lockFrom; i += 1) expect(errorCode(await loginFrom(ip, wrong))).toBe('invalid_credentials');
    expect(await mailTo(admin.email)).toHaveLength(0);
    expect(errorCode(await loginFrom(ip, wrong))).toBe('invalid_credentials');
    const locked = await loginFrom(ip, right);
    expect(locked.statusCode).toBe(423);
    expect(errorCode(locked)).toBe('locked');
    expect(locked.headers['retry-after']).toBe('60');
    expect(await mailTo(admin.email)).toHaveLength(1);
    // From another address too: the lock is on the account, not the client.
    expect(errorCode(await loginFrom(newIp(), right))).toBe('locked');
    deps.clock.advanceSeconds(61);
    expect((await loginFrom(ip, right)).json()).toEqual({ next: 'done' });
  });

  it('evaluates at most the free attempts of a burst of parallel guesses (reserve, then evaluate)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const counted = { verify: 0, dummy: 0 };
    const countingApp = await testApp({
      ...deps,
      hasher: {
        ...deps.hasher,
        verify: (...args: Parameters<typeof deps.hasher.verify>) => ((counted.verify += 1), deps.hasher.verify(...args)),
      },
    });
    const guesses = Array.from({ length: 30 }, (_, i) =>
      new Client(countingApp).request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: newIp(),
        payload: { instance: instance.slug, email: admin.email, password: `guess number ${i}!` },
      }),
    );
    const codes = (await Promise.all(guesses)).map((r) => errorCode(r));
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(ACCOUNT_POLICY.lockFrom);
    expect(codes.filter((c) => c === 'locked')).toHaveLength(30 - ACCOUNT_POLICY.lockFrom);
    expect(counted.verify).toBe(ACCOUNT_POLICY.lockFrom);
    await countingApp.close();
  });

  it('escalates the delay with each further failure', async () => {
    const { instance, admin } = await givenInstance(deps);
    const ip = newIp();
    const wrong = { instance: instance.slug, email: admin.email, password: 'not the password!' };
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) await loginFrom(ip, wrong);
    deps.clock.advanceSeconds(61);
    await loginFrom(ip, wrong);
    expect((await loginFrom(ip, wrong)).headers['retry-after']).toBe('120');
    deps.clock.advanceSeconds(121);
    await loginFrom(ip, wrong);
    expect((await loginFrom(ip, wrong)).headers['retry-after']).toBe('240');
  });

  it('answers an unknown account exactly like a known one, locks included', async () => {
    const { instance, admin } = await givenInstance(deps);
    const run = async (email: string) => {
      const ip = newIp();
      const answers = [];
      for (let i = 0; i <= ACCOUNT_POLICY.lockFrom; i += 1) {
        const response = await loginFrom(ip, { instance: instance.slug, email, password: 'not the password!' });
        answers.push([response.statusCode, response.body, response.headers['retry-after']]);
      }
      return answers;
    };
    const known = await run(admin.email);
    const unknown = await run(`ghost@${instance.slug}.test`);
    expect(unknown).toEqual(known);
    expect(known.at(-1)![0]).toBe(423);
  });

  it('keeps counting across fresh logins: a new session does not reset the second-factor counter', async () => {
    const { instance, admin } = await givenInstance(deps);
    const setup = new Client(app);
    await setup.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(setup, deps);
    const ip = newIp();
    const attempt = async (code: string) => {
      const client = new Client(app);
      await client.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
      });
      return client.request({ method: 'POST', url: '/api/v1/auth/verify', remoteAddress: ip, payload: { code } });
    };
    const wrong = oathtool(secret, deps.clock.now()) === '000000' ? '111111' : '000000';
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) expect(errorCode(await attempt(wrong))).toBe('invalid_credentials');
    const locked = await attempt(oathtool(secret, deps.clock.now()));
    expect(errorCode(locked)).toBe('locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const mails = await mailTo(admin.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('verification code');
    deps.clock.advanceSeconds(61);
    expect((await attempt(oathtool(secret, deps.clock.now()))).json()).toEqual({ next: 'done' });
  });

  it('stops for good at 100 failures in a row (NIST SP 800-63B), telling the user', async () => {
    const { instance, admin } = await givenInstance(deps);
    const key = passwordKey(instance.slug, admin.email.toLowerCase());
    await database.db
      .insertInto('throttles')
      .values({
        scope: key.scope,
        instance_slug: key.instanceSlug,
        subject: key.subject,
        failures: ACCOUNT_POLICY.hardLimit! - 1,
        last_failure_at: deps.clock.now(),
        decay_seconds: null,
      })
      .execute();
    deps.clock.advanceSeconds(3601);
    const ip = newIp();
    expect(errorCode(await loginFrom(ip, { instance: instance.slug, email: admin.email, password: 'wrong again!!' }))).toBe(
      'invalid_credentials',
    );
    deps.clock.advanceSeconds(7 * 24 * 3600);
    expect(errorCode(await loginFrom(ip, { instance: instance.slug, email: admin.email, password: PASSWORD }))).toBe('locked');
    const mails = await mailTo(admin.email);
    expect(mails.at(-1)!.text).toContain('until you reset your password');
  });

  it('limits one address failing across many accounts with 429 and Retry-After, and forgets after an hour', async () => {
    const { instance } = await givenInstance(deps);
    const ip = newIp();
    for (let i = 0; i < IP_POLICY.lockFrom; i += 1) {
      await loginFrom(ip, { instance: instance.slug, email: `spray-${i}@${instance.slug}.test`, password: 'Summer2026!!' });
    }
    const limited = await loginFrom(ip, { instance: instance.slug, email: `other@${instance.slug}.test`, password: 'Summer2026!!' });
    expect(limited.statusCode).toBe(429);
    expect(errorCode(limited)).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBe('60');
    expect(
      errorCode(await loginFrom(newIp(), { instance: instance.slug, email: `other@${instance.slug}.test`, password: 'Summer2026!!' })),
    ).toBe('invalid_credentials');
    deps.clock.advanceSeconds(3601);
    expect(
      errorCode(await loginFrom(ip, { instance: instance.slug, email: `other@${instance.slug}.test`, password: 'Summer2026!!' })),
    ).toBe('invalid_credentials');
  });

  it('is not reset by another account’s success from the same address', async () => {
    const { instance, admin } = await givenInstance(deps);
    const other = await givenInstance(deps);
    const ip = newIp();
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) {
      await loginFrom(ip, { instance: instance.slug, email: admin.email, password: 'wrong password!' });
      expect((await loginFrom(ip, { instance: other.instance.slug, email: other.admin.email, password: PASSWORD })).statusCode).toBe(200);
    }
    expect(errorCode(await loginFrom(ip, { instance: instance.slug, email: admin.email, password: PASSWORD }))).toBe('locked');
  });
});
