import { describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../../support/db.ts';
import { givenInstance, PASSWORD, useTestDeps, type TestDeps } from '../../support/deps.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import { loginWithPassword } from '../../../src/domain/login/login-with-password.ts';
import { cleanUp, runHousekeeping } from '../../../src/domain/maintenance/clean-up.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import { ipKey, passwordKey } from '../../../src/domain/throttle/throttle.ts';

describe.each(engines())('HousekeepingStore on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  // Housekeeping deletes across instances: a database of its own.
  useTestDeps(engine, (t) => ({ database, deps } = t), openIsolatedDatabase);

  const client = { ip: '192.0.2.1', userAgent: null, previousSession: null, deviceTokens: [] };

  it('lets one of several claims at once run housekeeping, and the next one only after the interval', async () => {
    const start = addSeconds(deps.clock.now(), 30 * 86400); // later than any run of the other tests
    const claims = await Promise.all([1, 2, 3].map(() => deps.stores.housekeeping.claimRun(start, addSeconds(start, -600))));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await deps.stores.housekeeping.claimRun(addSeconds(start, 599), addSeconds(start, -1))).toBe(false);
    expect(await deps.stores.housekeeping.claimRun(addSeconds(start, 600), start)).toBe(true);
    deps.clock.set(addSeconds(start, 900));
    expect(await runHousekeeping(deps, 600)).toBeNull(); // 300 s after the last run
    deps.clock.set(addSeconds(start, 1200));
    expect(await runHousekeeping(deps, 600)).toMatchObject({ sessions: expect.any(Number) });
    deps.clock.set(start);
  });

  it('deletes expired sessions and forgotten IP counters, and keeps account counters and live sessions', async () => {
    const { instance, admin } = await givenInstance(deps);
    const start = deps.clock.now();
    await loginWithPassword(deps, { instance: instance.slug, email: admin.email, password: PASSWORD }, client);
    expect(await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).toHaveLength(1);
    const accountKey = passwordKey(instance.slug, `housekeeping@${instance.slug}.test`);
    const addressKey = ipKey(`housekeeping-${instance.slug}`);
    await deps.stores.throttles.recordFailure(
      [
        { key: accountKey, decaySeconds: null },
        { key: addressKey, decaySeconds: 60 },
      ],
      start,
    );
    // A session started a quarter of an hour before the clean-up is still live (not idle) and stays.
    deps.clock.set(addSeconds(start, 13 * 3600 - 15 * 60));
    const live = await loginWithPassword(deps, { instance: instance.slug, email: admin.email, password: PASSWORD }, client);
    deps.clock.set(addSeconds(start, 13 * 3600));
    await cleanUp(deps);
    const left = (await database.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).map((r) => r.id);
    expect(left).toEqual([live.sessionToken.split('.')[0]]);
    expect(left.filter((id) => id !== live.sessionToken.split('.')[0])).toEqual([]);
    const kept = await deps.stores.throttles.find([accountKey, addressKey]);
    expect([kept.get(accountKey)?.failures, kept.get(addressKey)]).toEqual([1, undefined]);
    deps.clock.set(start);
  });

  it('deletes expired OpenID Connect provider state of every instance, and keeps live and unexpiring rows', async () => {
    const [{ instance: a }, { instance: b }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const now = deps.clock.now();
    const none = { grantId: null, uid: null, userCode: null };
    await deps.stores.forInstance(a.id).oidcState.upsert('AuthorizationCode', 'expired', {}, addSeconds(now, -1), none);
    await deps.stores.forInstance(b.id).oidcState.upsert('Session', 'expired', {}, now, none);
    await deps.stores.forInstance(a.id).oidcState.upsert('AccessToken', 'live', {}, addSeconds(now, 60), none);
    await deps.stores.forInstance(b.id).oidcState.upsert('Grant', 'unexpiring', {}, null, none);
    const counts = await cleanUp(deps);
    expect(counts.oidcState).toBe(2);
    const left = await database.db.selectFrom('oidc_state').select(['instance_id', 'id']).orderBy('id').execute();
    expect(left).toEqual([
      { instance_id: a.id, id: 'live' },
      { instance_id: b.id, id: 'unexpiring' },
    ]);
  });
});
