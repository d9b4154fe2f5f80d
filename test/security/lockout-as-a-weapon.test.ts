import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';
import { ACCOUNT_POLICY } from '../../src/domain/throttle/throttle.ts';

const OPERATOR_PASSWORD = 'support staff passphrase 2026';

// RL-04 (issue 10 item 10): five guesses by a stranger locked the owner out, even on their trusted
// browser, and one guess an hour kept it so. Attempts with a valid known-location cookie of the
// account now count on a key of that browser; strangers still lock the account key.
describe.each(engines())('lockout as a weapon on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const strangerLocks = async (url: string, body: object) => {
    const stranger = new Client(app);
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1)
      expect(errorCode(await stranger.post(url, { ...body, password: `guess number ${i}!` }))).toBe('invalid_credentials');
    return stranger;
  };

  it('lets the owner log in on their trusted browser while a stranger has locked the account', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(owner, deps);
    const stranger = await strangerLocks('/api/v1/auth/login', { instance: instance.slug, email: admin.email });
    // The account key is locked for everyone without the owner's cookie, the right password included.
    expect(errorCode(await stranger.login(instance.slug, admin.email, PASSWORD))).toBe('locked');
    expect(errorCode(await new Client(app).login(instance.slug, admin.email, PASSWORD))).toBe('locked');
    expect((await owner.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
  });

  it('locks the trusted browser after its own failures, and only that browser', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1)
      expect(errorCode(await owner.login(instance.slug, admin.email, `my typo ${i}!!`))).toBe('invalid_credentials');
    const locked = await owner.login(instance.slug, admin.email, PASSWORD);
    expect([locked.statusCode, errorCode(locked), locked.headers['retry-after']]).toEqual([423, 'locked', '60']);
    // The account key did not count the browser's failures: another browser still gets to the code.
    const other = new Client(app);
    expect((await other.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect((await other.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    deps.clock.advanceSeconds(61);
    expect((await owner.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
  });

  it('keeps a support operator’s own browser out of a stranger’s lock, still asking for the code', async () => {
    const operator = await createOperator(deps, {
      email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
      name: 'Olga Operator',
      password: OPERATOR_PASSWORD,
    });
    const browser = new Client(app);
    await browser.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    const { secret } = (await browser.post('/api/v1/auth/setup')).json();
    expect((await browser.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    deps.clock.advanceSeconds(30);
    // The 2FA login (here the first one, with the setup) gave the browser its device token; later
    // logins keep that one instead of adding another.
    const devices = () => [...browser.cookies.keys()].filter((name) => name.startsWith('keyward_device_'));
    expect(devices()).toHaveLength(1);
    expect((await browser.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD })).json().next).toBe(
      'verify',
    );
    expect((await browser.post('/api/v1/support/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    expect(devices()).toHaveLength(1);
    deps.clock.advanceSeconds(30);

    const stranger = await strangerLocks('/api/v1/support/login', { email: operator.email });
    expect(errorCode(await stranger.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD }))).toBe('locked');
    // The device token never skips the code.
    expect((await browser.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD })).json()).toEqual({
      next: 'verify',
      methods: ['totp'],
    });
    expect((await browser.post('/api/v1/support/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    // Its own failures lock it.
    deps.clock.advanceSeconds(30);
    for (let i = 0; i < ACCOUNT_POLICY.lockFrom; i += 1) {
      expect(errorCode(await browser.post('/api/v1/support/login', { email: operator.email, password: `typo ${i} of mine!` }))).toBe(
        'invalid_credentials',
      );
    }
    expect(errorCode(await browser.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD }))).toBe('locked');
  });
});
