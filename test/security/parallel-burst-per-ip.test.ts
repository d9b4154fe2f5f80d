import { describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import { createPasswordHasher } from '../../src/crypto/password.ts';
import { IP_POLICY } from '../../src/domain/throttle/throttle.ts';

// RL-01/RL-05 (issue 10 item 8): the per-IP limit held only for sequential guesses. The IP key was
// read by the lookup and counted after evaluation, so a parallel burst from one address saw the
// old count and every guess was evaluated. The IP attempt is now reserved with the account's.
describe.each(engines())('a parallel burst from one address on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('evaluates at most the free attempts of the address, then answers 429 rate_limited', async () => {
    void app;
    const { instance } = await givenInstance(deps);
    // A hashing queue large enough that only the throttle can refuse (the queue has its own test).
    const hasher = await createPasswordHasher(2, { queueLength: 500, perClient: 500 });
    let evaluated = 0;
    const counting = await testApp({
      ...deps,
      hasher: {
        ...hasher,
        verify: (...args: Parameters<typeof hasher.verify>) => ((evaluated += 1), hasher.verify(...args)),
        verifyDummy: (...args: Parameters<typeof hasher.verifyDummy>) => ((evaluated += 1), hasher.verifyDummy(...args)),
      },
    });
    const ip = `198.18.${randomInt(256)}.${1 + randomInt(254)}`;
    const burst = IP_POLICY.lockFrom + 20;
    const answers = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        new Client(counting).request({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: ip,
          payload: { instance: instance.slug, email: `spray-${i}@${instance.slug}.test`, password: 'Summer2026!!' },
        }),
      ),
    );
    const codes = answers.map((r) => errorCode(r));
    expect(evaluated).toBe(IP_POLICY.lockFrom);
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(IP_POLICY.lockFrom);
    const limited = answers.filter((r) => errorCode(r) === 'rate_limited');
    expect(limited).toHaveLength(burst - IP_POLICY.lockFrom);
    expect(limited.every((r) => r.statusCode === 429 && Number(r.headers['retry-after']) > 0)).toBe(true);
    await counting.close();
  });
});
