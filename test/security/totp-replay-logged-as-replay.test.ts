import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { secondFactorKey } from '../../src/domain/throttle/throttle.ts';

// Issue 10 item 21, NIST SP 800-63B-4 §3.1.4.2: a code from a step already used was logged like
// any wrong code, so nobody could see that a code had been captured and offered again.
describe.each(engines())('a replayed TOTP code in the audit log on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  const failures = (userId: string) =>
    database.db
      .selectFrom('audit_events')
      .select(['details'])
      .where('target_id', '=', userId)
      .where('action', '=', 'login.failed')
      .orderBy('id')
      .execute();

  it('is logged with reason "replayed", still counted, while a wrong code is a plain failure', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    const code = oathtool(secret, deps.clock.now());
    const first = new Client(app);
    await first.login(instance.slug, admin.email, PASSWORD);
    expect((await first.post('/api/v1/auth/verify', { code })).json()).toEqual({ next: 'done' });

    const attacker = new Client(app);
    expect((await attacker.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
    expect(errorCode(await attacker.post('/api/v1/auth/verify', { code: code === '000000' ? '111111' : '000000' }))).toBe(
      'invalid_credentials',
    );
    expect(errorCode(await attacker.post('/api/v1/auth/verify', { code }))).toBe('invalid_credentials');
    const logged = (await failures(admin.id)).map((row) => row.details as Record<string, unknown>);
    expect(logged).toEqual([
      { factor: 'totp', during: 'login' },
      { factor: 'totp', during: 'login', reason: 'replayed' },
    ]);
    // Both count on the second-factor key.
    expect((await deps.stores.throttles.find([secondFactorKey(admin.id)])).get(secondFactorKey(admin.id))?.failures).toBe(2);
  });
});
