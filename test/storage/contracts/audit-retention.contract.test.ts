import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, openIsolatedDatabase } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import { cleanUp, pruneAuditEvents } from '../../../src/domain/maintenance/clean-up.ts';
import { addSeconds } from '../../../src/domain/shared/clock.ts';
import pino from 'pino';
import { startHousekeeping } from '../../../src/server.ts';

/** KEYWARD_AUDIT_RETENTION_DAYS (issue 15): housekeeping prunes old audit events; nothing else may change the log. */
describe.each(engines())('audit retention on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  // The prune deletes across instances: a database of its own.
  useTestDeps(engine, (t) => ({ database, deps } = t), openIsolatedDatabase);

  const DAY = 86400;

  /** `count` events of `instanceId` at `at` (plus i milliseconds), in one statement. */
  async function insertEvents(instanceId: string, count: number, at: Date): Promise<void> {
    await sql`
      insert into audit_events (instance_id, at, action, actor_type, actor_label, details)
      select ${instanceId}, ${at}::timestamptz + make_interval(secs => i / 1000.0), 'login.succeeded', 'system', 'test', jsonb_build_object('i', i)
      from generate_series(1, ${count}) as i`.execute(database.db);
  }
  const countOf = async (instanceId: string) =>
    Number(
      (
        await database.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('instance_id', '=', instanceId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('keeps every event while the retention is unset, however old', async () => {
    const { instance } = await givenInstance(deps);
    await insertEvents(instance.id, 5, addSeconds(deps.clock.now(), -3650 * DAY));
    const before = await countOf(instance.id);
    const counts = await cleanUp({ ...deps, auditRetentionDays: null });
    expect(counts.auditEvents).toBe(0);
    expect(counts.auditPrune).toBeNull();
    expect(await countOf(instance.id)).toBe(before);
  });

  it('prunes only the events older than the retention, of every instance, in bounded batches over several runs', async () => {
    const [{ instance: a }, { instance: b }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const now = deps.clock.now();
    const withRetention = { ...deps, auditRetentionDays: 30 };
    // Old events the other tests of this file left are pruned first, so the counts below are this test's.
    while ((await pruneAuditEvents(withRetention))?.more);
    await insertEvents(a.id, 7000, addSeconds(now, -400 * DAY));
    await insertEvents(b.id, 5500, addSeconds(now, -31 * DAY));
    // Newer than the cutoff (a day inside the 30), and the events givenInstance wrote just now.
    await insertEvents(a.id, 40, addSeconds(now, -29 * DAY));
    const [keptA, keptB] = [(await countOf(a.id)) - 7000, (await countOf(b.id)) - 5500];

    const first = await pruneAuditEvents(withRetention, 5000, 2);
    expect(first).toEqual({ before: addSeconds(now, -30 * DAY), deleted: 10_000, batches: 2, more: true });
    // Oldest first: all of a's 400-day-old events went before any of b's 31-day-old ones.
    expect(await countOf(a.id)).toBe(keptA);
    expect(await countOf(b.id)).toBe(keptB + 2500);

    const counts = await cleanUp(withRetention);
    expect(counts.auditEvents).toBe(2500);
    expect(counts.auditPrune).toMatchObject({ deleted: 2500, batches: 1, more: false });
    expect([await countOf(a.id), await countOf(b.id)]).toEqual([keptA, keptB]);
    const oldest = await database.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.min('at').as('at'))
      .where('instance_id', 'in', [a.id, b.id])
      .executeTakeFirstOrThrow();
    expect(new Date(oldest.at).getTime()).toBeGreaterThanOrEqual(addSeconds(now, -30 * DAY).getTime());
    expect((await cleanUp(withRetention)).auditPrune).toMatchObject({ deleted: 0, batches: 1, more: false });
  });

  it('still refuses a plain DELETE, UPDATE or TRUNCATE of audit_events, also after a prune on the same connection', async () => {
    const { instance } = await givenInstance(deps);
    await insertEvents(instance.id, 3, addSeconds(deps.clock.now(), -100 * DAY));
    await pruneAuditEvents({ ...deps, auditRetentionDays: 1 });
    await insertEvents(instance.id, 3, addSeconds(deps.clock.now(), -100 * DAY));
    const refused = async (statement: ReturnType<typeof sql>) => {
      const error = await statement.execute(database.db).then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      return error?.code;
    };
    expect(await refused(sql`delete from audit_events where instance_id = ${instance.id}`)).toBe('42501');
    expect(await refused(sql`update audit_events set action = 'login.failed' where instance_id = ${instance.id}`)).toBe('42501');
    expect(await refused(sql`truncate audit_events`)).toBe('42501');
    // The switch lets only a DELETE through: an UPDATE or TRUNCATE in the prune's transaction is refused too.
    for (const change of [
      sql`update audit_events set action = 'login.failed' where instance_id = ${instance.id}`,
      sql`truncate audit_events`,
    ]) {
      const inPrune = await database.db
        .transaction()
        .execute(async (tx) => {
          await sql`set local keyward.audit_prune = 'on'`.execute(tx);
          await change.execute(tx);
        })
        .then(
          () => null,
          (e: unknown) => (e as { code?: string }).code,
        );
      expect(inPrune).toBe('42501');
    }
    // SET LOCAL ended with its transaction: the next plain DELETE (on PGlite, the same connection) is refused.
    expect(await refused(sql`delete from audit_events where instance_id = ${instance.id}`)).toBe('42501');
    expect(await countOf(instance.id)).toBeGreaterThanOrEqual(3);
  });

  it('logs each housekeeping run that pruned events, with the count and the cutoff', async () => {
    const { instance } = await givenInstance(deps);
    await insertEvents(instance.id, 3, addSeconds(deps.clock.now(), -100 * DAY));
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    // The server's own timer, at a 1-second interval; this file's database has no other housekeeping run.
    const timer = startHousekeeping({ ...deps, auditRetentionDays: 30 }, log, 1);
    try {
      for (let i = 0; i < 100 && !lines.some((line) => line.msg === 'audit events pruned'); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      clearInterval(timer);
    }
    const pruned = lines.find((line) => line.msg === 'audit events pruned');
    expect(pruned).toMatchObject({ level: 30, before: addSeconds(deps.clock.now(), -30 * DAY).toISOString(), more: false });
    expect(pruned!.deleted).toBeGreaterThanOrEqual(3);
    const older = await database.db
      .selectFrom('audit_events')
      .select('id')
      .where('instance_id', '=', instance.id)
      .where('at', '<', addSeconds(deps.clock.now(), -30 * DAY))
      .execute();
    expect(older).toEqual([]);
  });
});
