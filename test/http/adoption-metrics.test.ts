/** The 2FA adoption gauges (issue 15): in total by default, per instance only when asked, from housekeeping's reading. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, useTestDeps, type TestDeps } from '../support/deps.ts';
import { Client, testApp } from '../support/app.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { readTwoFactorAdoption } from '../../src/domain/maintenance/clean-up.ts';
import type { TwoFactorAdoptionCounts } from '../../src/domain/maintenance/housekeeping-store.ts';

describe.each(engines())('the 2FA adoption gauges on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  // Its own database: the totals count every instance's users.
  useTestDeps(engine, (context) => ({ deps } = context), openIsolatedDatabase);
  beforeAll(async () => {
    app = await testApp(deps);
  });
  afterAll(async () => {
    await app?.close();
  });

  const scrape = async (counts: TwoFactorAdoptionCounts | null) =>
    (await createMetrics({ adoption: () => counts }).scrape()).body.split('\n').filter((line) => /^keyward_users/.test(line));

  it('counts users with 2FA active and all users, without instance labels unless asked', async () => {
    expect(await scrape(null)).toEqual([]); // before the first reading
    const { instance: a, admin } = await givenInstance(deps);
    const { instance: b } = await givenInstance(deps);
    await givenUser(deps, b);
    const client = new Client(app);
    expect((await client.login(a.slug, admin.email, PASSWORD)).json()).toMatchObject({ next: 'done' });
    await enrolTotp(client, deps);

    expect(await scrape(await readTwoFactorAdoption(deps, false))).toEqual(['keyward_users 3', 'keyward_users_two_factor 1']);
    const labelled = await scrape(await readTwoFactorAdoption(deps, true));
    expect(labelled).toEqual(
      expect.arrayContaining([
        'keyward_users 3',
        `keyward_users{instance="${b.slug}"} 2`,
        `keyward_users{instance="${a.slug}"} 1`,
        'keyward_users_two_factor 1',
        `keyward_users_two_factor{instance="${a.slug}"} 1`,
        `keyward_users_two_factor{instance="${b.slug}"} 0`,
      ]),
    );
    expect(labelled).toHaveLength(6);
  });
});
