import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';

// RFC 6238 §5.2: a code is accepted once; ±1 step of drift, no more (OTP-05, OTP-06, OTP-07).
describe.each(engines())('TOTP replay and drift on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function enrolledAdmin() {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(client, deps);
    // Mid-step, so ±1 is unambiguous.
    deps.clock.set(new Date(Math.floor(deps.clock.now().getTime() / 30_000) * 30_000 + 15_000));
    const atVerify = async () => {
      const c = new Client(app);
      expect((await c.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
      return c;
    };
    return { secret, atVerify };
  }

  it('rejects a code from a step already used, in another session', async () => {
    const { secret, atVerify } = await enrolledAdmin();
    const code = oathtool(secret, deps.clock.now());
    const first = await atVerify();
    expect((await first.post('/api/v1/auth/verify', { code })).json()).toEqual({ next: 'done' });
    const second = await atVerify();
    const replay = await second.post('/api/v1/auth/verify', { code });
    expect(replay.statusCode).toBe(401);
    expect(errorCode(replay)).toBe('invalid_credentials');
    // The previous step is inside the window but older than the last used one.
    expect(errorCode(await second.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now(), -1) }))).toBe(
      'invalid_credentials',
    );
    deps.clock.advanceSeconds(30);
    expect((await second.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
  });

  it('rejects a code used at login when it is offered again for step-up', async () => {
    const { secret, atVerify } = await enrolledAdmin();
    const code = oathtool(secret, deps.clock.now());
    const client = await atVerify();
    await client.post('/api/v1/auth/verify', { code });
    expect(errorCode(await client.post('/api/v1/auth/step-up', { code }))).toBe('invalid_credentials');
  });

  it('accepts one step of drift either way and nothing beyond', async () => {
    const { secret, atVerify } = await enrolledAdmin();
    // Each case in its own step window so replay protection stays out of the way.
    for (const [offset, accepted] of [
      [2, false],
      [-2, false],
      [-10, false],
      [-1, true],
      [1, true],
    ] as const) {
      deps.clock.advanceSeconds(90);
      const client = await atVerify();
      const response = await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now(), offset) });
      expect(response.statusCode, `offset ${offset}`).toBe(accepted ? 200 : 401);
    }
  });

  it('accepts exactly one of 20 concurrent submissions of one code', async () => {
    const { secret, atVerify } = await enrolledAdmin();
    const clients = [];
    for (let i = 0; i < 20; i += 1) clients.push(await atVerify());
    const code = oathtool(secret, deps.clock.now());
    const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/verify', { code })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    // The others are refused; as refused codes they count, so the later ones meet the lock.
    const refused = results.filter((r) => r.statusCode !== 200).map((r) => errorCode(r));
    expect(refused).toHaveLength(19);
    expect(refused.every((code) => code === 'invalid_credentials' || code === 'locked')).toBe(true);
  });

  it('refuses malformed codes with the same answer as wrong ones', async () => {
    const { atVerify } = await enrolledAdmin();
    const client = await atVerify();
    for (const code of ['12345', '1234567', 'abcdef', '12 345']) {
      expect(errorCode(await client.post('/api/v1/auth/verify', { code }))).toBe('invalid_credentials');
    }
    for (const payload of [{ code: 123456 }, { code: ['123456', '654321'] }, {}]) {
      expect(errorCode(await client.post('/api/v1/auth/verify', payload))).toBe('invalid_request');
    }
  });
});
