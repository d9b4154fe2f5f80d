import { describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import { createPasswordHasher, type PasswordHasher } from '../../src/crypto/password.ts';

/** Resolves once `count` of `responses` have arrived, or fails after a while (the old code never refused). */
async function arrived(responses: Array<Promise<LightMyRequestResponse>>, count: number): Promise<LightMyRequestResponse[]> {
  const done: LightMyRequestResponse[] = [];
  for (const r of responses) void r.then((x) => done.push(x));
  for (let i = 0; i < 500 && done.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  return done;
}

// Issue 10 item 8, PW-02: one client filled the argon2id queue (a normal login took 13.5 s during
// a burst of 150 from one address). The queue is now bounded, and each address has a share of it.
// The hashes are held at a barrier until every request has been admitted or refused, so what is
// asserted is the order and the answers, never a duration.
describe.each(engines())('the argon2id queue under a burst from one address on %s', (engine) => {
  let deps: TestDeps;
  useTestApp(engine, (t) => ({ deps } = t));

  it('refuses the burst beyond its share with 429 and a full queue with 503, while another address logs in', async () => {
    const { instance, admin } = await givenInstance(deps);
    const real = await createPasswordHasher(1, { queueLength: 4, perClient: 3 });
    let open!: () => void;
    const barrier = new Promise<void>((resolve) => (open = resolve));
    // Who each hash was for, in the order the hasher ran them (told apart by the password).
    const hashed: string[] = [];
    const whose = (password: string) => (password === PASSWORD ? 'owner' : password === 'Summer2026!!' ? 'attacker' : 'other');
    const held: PasswordHasher = {
      ...real,
      verify: async (stored, password, ...rest) => (await barrier, hashed.push(whose(password)), real.verify(stored, password, ...rest)),
      verifyDummy: async (password, ...rest) => (await barrier, hashed.push(whose(password)), real.verifyDummy(password, ...rest)),
    };
    const app = await testApp({ ...deps, hasher: held });
    const login = (ip: string, email: string, password: string) =>
      new Client(app).request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        payload: { instance: instance.slug, email, password },
      });
    const attacker = `198.19.${randomInt(256)}.${1 + randomInt(254)}`;
    const burst = Array.from({ length: 20 }, (_, i) => login(attacker, `guess-${i}@${instance.slug}.test`, 'Summer2026!!'));
    const refused = await arrived(burst, 17);
    expect(refused).toHaveLength(17);
    expect(refused.every((r) => r.statusCode === 429 && errorCode(r) === 'rate_limited' && Number(r.headers['retry-after']) > 0)).toBe(
      true,
    );

    const owner = login(`198.20.${randomInt(256)}.${1 + randomInt(254)}`, admin.email, PASSWORD);
    // Two more addresses: the queue (1 running + 4 waiting) has one place left, then it is full.
    const others = [0, 1, 2].map((i) =>
      login(`198.21.${randomInt(256)}.${1 + randomInt(254)}`, `other-${i}@${instance.slug}.test`, 'Other2026!!'),
    );
    const busy = await arrived(others, 2);
    expect(busy).toHaveLength(2);
    expect(busy.every((r) => r.statusCode === 503 && errorCode(r) === 'server_busy' && Number(r.headers['retry-after']) > 0)).toBe(true);
    // The same answer whether or not the account exists: the queue is asked before the lookup.
    const known = await login(`198.22.${randomInt(256)}.${1 + randomInt(254)}`, admin.email, PASSWORD);
    expect([known.statusCode, errorCode(known)]).toEqual([503, 'server_busy']);

    open();
    expect((await owner).json()).toEqual({ next: 'done' });
    const all = await Promise.all([...burst, ...others]);
    expect(all.filter((r) => errorCode(r) === 'invalid_credentials')).toHaveLength(3 + 1);
    // The owner waited behind the attacker's share (3 hashes), never behind the whole burst.
    expect(hashed.filter((w) => w === 'attacker')).toHaveLength(3);
    expect(hashed.filter((w) => w === 'owner')).toHaveLength(1);
    expect(hashed).toHaveLength(5);
    await app.close();
  });
});
