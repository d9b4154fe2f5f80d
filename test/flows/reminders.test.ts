import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, testApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { sendReminders } from '../../src/domain/maintenance/clean-up.ts';
import { mailDate } from '../../src/domain/mail/mail-time.ts';

// Reminders go to every instance's users: a database of its own.
describe.each(engines())('reminder emails on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await openIsolatedDatabase(engine);
    deps = await testDeps(database);
    app = await testApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('reminds users with 2FA enabled and no app, weekly, with the deadline', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const from = new Date(deps.clock.now().getTime() + 14 * 86400_000);
    await client.request({
      method: 'PUT',
      url: '/api/v1/admin/password-policy',
      payload: { twoFactor: { autoEnable: true, enforceSetup: true, enforceFrom: from.toISOString() } },
    });
    expect((await sendReminders(deps)).setup).toBe(0); // accounts younger than a week are left alone
    deps.clock.advanceSeconds(8 * 86400);
    expect((await sendReminders(deps)).setup).toBe(2);
    expect((await sendReminders(deps)).setup).toBe(0);
    const [mail] = (await deliveredTo(deps, member.email)).filter((m) => m.subject.startsWith('Set up two-factor'));
    // The deadline as mails write dates: "15 Dec 2026" (UTC), not an ISO timestamp.
    expect(mail!.text).toContain(mailDate(from));
    expect(mail!.text).toContain(`/login?instance=${instance.slug}`);
    deps.clock.advanceSeconds(8 * 86400);
    expect((await sendReminders(deps)).setup).toBe(2);
  });

  it('reminds each user once when two runs race (the picked users are locked until their mail is queued)', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const members = await Promise.all([givenUser(deps, instance), givenUser(deps, instance), givenUser(deps, instance)]);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } });
    deps.clock.advanceSeconds(8 * 86400);
    // Other tests' users of this database may be due too: each person's mails are what counts.
    const runs = await Promise.all([sendReminders(deps), sendReminders(deps), sendReminders(deps)]);
    expect(runs.reduce((sum, run) => sum + run.setup, 0)).toBeGreaterThanOrEqual(members.length + 1);
    for (const person of [admin, ...members]) {
      expect(
        (await deliveredTo(deps, person.email)).filter((m) => m.subject === `Set up two-factor authentication for ${instance.name}`),
      ).toHaveLength(1);
    }
  });

  it('warns once per password when it is about to expire', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { password: { maxAgeDays: 60, warnDays: 10 } } });
    const before = (await sendReminders(deps)).expiry;
    deps.clock.advanceSeconds(51 * 86400);
    expect((await sendReminders(deps)).expiry).toBeGreaterThan(before);
    const warnings = (await deliveredTo(deps, admin.email)).filter((m) => m.subject.includes('password expires'));
    expect(warnings).toHaveLength(1);
    await sendReminders(deps);
    expect((await deliveredTo(deps, admin.email)).filter((m) => m.subject.includes('password expires'))).toHaveLength(1);
  });
});
