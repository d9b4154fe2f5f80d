import { describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../support/deps.ts';
import {
  IMPORT_BATCH_SIZE,
  IMPORT_WRITERS,
  importUsers,
  nextStatisticsRefresh,
  type ImportRow,
} from '../../src/domain/account/import-users.ts';
import type { PasswordHasher } from '../../src/crypto/password.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { sql } from 'kysely';

/** Issue 16: the import hashes at the hasher's concurrency and writes a batch in a few statements; its guarantees stay. */
describe.each(engines())('user import on %s', (engine) => {
  let deps: TestDeps;
  let database: DatabaseHandle;
  // A database of its own: the test counts queued mail, which other files' workers would claim.
  useTestDeps(engine, (t) => ({ deps, database } = t), openIsolatedDatabase);

  const rows = (slug: string, count: number, password: (i: number) => string | null = () => null): ImportRow[] =>
    Array.from({ length: count }, (_, i) => ({
      line: i + 2,
      email: `user-${i}@${slug}.test`,
      name: `User ${i}`,
      role: 'member',
      password: password(i),
    }));

  /** Mails queued for this instance's users, by recipient (the outbox, not delivered). */
  async function queuedMails(slug: string): Promise<Map<string, number>> {
    const claimed = await deps.stores.outbox.claimDue(new Date(Date.now() + 1000), new Date(Date.now() + 60_000), 100_000);
    const counts = new Map<string, number>();
    for (const mail of claimed.filter((m) => m.to.endsWith(`@${slug}.test`) && m.to.startsWith('user-')))
      counts.set(mail.to, (counts.get(mail.to) ?? 0) + 1);
    return counts;
  }

  it('hashes several passwords at once, through the hasher, never more than its concurrency + 1 in flight', async () => {
    const { instance } = await givenInstance(deps);
    const real = deps.hasher;
    let inFlight = 0;
    let most = 0;
    const counting: PasswordHasher = {
      ...real,
      concurrency: real.concurrency,
      hash: async (password) => {
        most = Math.max(most, ++inFlight);
        try {
          return await real.hash(password);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const report = await importUsers(
      { ...deps, hasher: counting },
      instance.slug,
      rows(instance.slug, 8, (i) => `a long passphrase number ${i}`),
    );
    expect(report).toEqual({ created: 8, skipped: 0, errors: [] });
    expect(real.concurrency).toBeGreaterThan(1);
    expect(most).toBeGreaterThanOrEqual(real.concurrency);
    expect(most).toBeLessThanOrEqual(real.concurrency + 1);
  });

  it('creates nothing and queues no second mail on a rerun, over several batches, and only the missing users after an interruption', async () => {
    const { instance } = await givenInstance(deps);
    const all = rows(instance.slug, IMPORT_BATCH_SIZE + 150, (i) => (i % 100 === 7 ? `a long passphrase number ${i}` : null));
    const progress: number[] = [];
    // An interrupted import: only the first batch and a half went in.
    const first = await importUsers(deps, instance.slug, all.slice(0, IMPORT_BATCH_SIZE + 50));
    expect(first.created).toBe(IMPORT_BATCH_SIZE + 50);
    const rest = await importUsers(deps, instance.slug, all, (done) => progress.push(done));
    expect(rest).toEqual({ created: 100, skipped: IMPORT_BATCH_SIZE + 50, errors: [] });
    expect(progress).toEqual([IMPORT_BATCH_SIZE, all.length]);
    const again = await importUsers(deps, instance.slug, all);
    expect(again).toEqual({ created: 0, skipped: all.length, errors: [] });
    const mails = await queuedMails(instance.slug);
    expect(mails.size).toBe(all.length);
    expect([...mails.values()].every((n) => n === 1)).toBe(true);
    const users = await deps.stores.forInstance(instance.id).users.findExistingEmails(all.map((r) => r.email));
    expect(users).toHaveLength(all.length);
  });

  it('lets timers run while it imports, so the CLI can draw its progress bar (PGlite answers within microtasks)', async () => {
    const { instance } = await givenInstance(deps);
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    const seen: boolean[] = [];
    await importUsers(deps, instance.slug, rows(instance.slug, 2 * IMPORT_BATCH_SIZE + 1), () => seen.push(timerRan));
    expect(seen).toHaveLength(3);
    expect(seen.at(-1)).toBe(true);
  });

  it('reports a bad line of a later batch and imports the good lines around it', async () => {
    const { instance } = await givenInstance(deps);
    const all = rows(instance.slug, IMPORT_BATCH_SIZE + 3);
    all[IMPORT_BATCH_SIZE + 1] = { ...all[IMPORT_BATCH_SIZE + 1]!, role: 'overlord' };
    all[IMPORT_BATCH_SIZE + 2] = { ...all[IMPORT_BATCH_SIZE + 2]!, email: all[3]!.email.toUpperCase() };
    const report = await importUsers(deps, instance.slug, all);
    expect(report.created).toBe(IMPORT_BATCH_SIZE + 1);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [IMPORT_BATCH_SIZE + 3, 'role'],
      [IMPORT_BATCH_SIZE + 4, 'email'],
    ]);
  });

  /** deps whose transactions go through `around` (the call's number, and the real transaction to run). */
  const withTransactions = (around: (n: number, run: () => Promise<unknown>) => Promise<unknown>): TestDeps => {
    let calls = 0;
    const stores = {
      ...deps.stores,
      transaction: <T>(work: Parameters<TestDeps['stores']['transaction']>[0]) =>
        around(++calls, () => deps.stores.transaction(work)) as Promise<T>,
    };
    return { ...deps, stores };
  };

  it('writes two batches at once and still reports progress in order, with the user counters right', async () => {
    const { instance } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const before = (await tenant.directory.counts()).reduce((sum, c) => sum + Number(c.n), 0);
    const count = 3 * IMPORT_BATCH_SIZE + 1;
    const progress: number[] = [];
    let inFlight = 0;
    let most = 0;
    let secondStarted!: () => void;
    const second = new Promise<void>((resolve) => (secondStarted = resolve));
    const counting = withTransactions(async (n, run) => {
      most = Math.max(most, ++inFlight);
      if (n === 2) secondStarted();
      try {
        // The first batch's transaction is held until the second has begun (at most 3 s: an
        // import writing one batch at a time never begins it, and `most` stays 1).
        if (n === 1) await Promise.race([second, new Promise((resolve) => setTimeout(resolve, 3000))]);
        return await run();
      } finally {
        inFlight -= 1;
      }
    });
    expect((await importUsers(counting, instance.slug, rows(instance.slug, count), (done) => progress.push(done))).created).toBe(count);
    expect(most).toBe(IMPORT_WRITERS);
    expect(IMPORT_WRITERS).toBe(2);
    expect(progress).toEqual([IMPORT_BATCH_SIZE, 2 * IMPORT_BATCH_SIZE, 3 * IMPORT_BATCH_SIZE, count]);
    expect((await tenant.directory.counts()).reduce((sum, c) => sum + Number(c.n), 0)).toBe(before + count);
  });

  it('fails only once the batch written beside the failed one has ended, and starts none after it', async () => {
    const { instance } = await givenInstance(deps);
    const events: string[] = [];
    const broken = new Error('the second batch failed');
    let thirdStarted!: () => void;
    const third = new Promise<void>((resolve) => (thirdStarted = resolve));
    let letThirdEnd!: () => void;
    const thirdMayEnd = new Promise<void>((resolve) => (letThirdEnd = resolve));
    const failing = withTransactions(async (n, run) => {
      if (n === 2) {
        // Fails while the third batch is being written.
        await third;
        events.push('second failed');
        throw broken;
      }
      if (n === 3) {
        thirdStarted();
        await thirdMayEnd;
        const result = await run();
        events.push('third committed');
        return result;
      }
      if (n > 3) events.push(`batch ${n} started`);
      return run();
    });
    const result = importUsers(failing, instance.slug, rows(instance.slug, 5 * IMPORT_BATCH_SIZE), (done) =>
      events.push(`progress ${done}`),
    ).then(
      () => 'resolved',
      (error: unknown) => (events.push('import failed'), error),
    );
    await third;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['progress 500', 'second failed']);
    letThirdEnd();
    expect(await result).toBe(broken);
    expect(events).toEqual(['progress 500', 'second failed', 'third committed', 'import failed']);
    // The first and the third batch are in; a rerun creates the rest.
    expect((await importUsers(deps, instance.slug, rows(instance.slug, 5 * IMPORT_BATCH_SIZE))).created).toBe(3 * IMPORT_BATCH_SIZE);
  });

  it('refreshes the planner statistics after its first batch and then at ten times as many users', () => {
    const refreshes: number[] = [];
    for (let at = nextStatisticsRefresh(0); at <= 1_000_000; at = nextStatisticsRefresh(at)) refreshes.push(at);
    expect(refreshes).toEqual([IMPORT_BATCH_SIZE, 5_000, 50_000, 500_000]);
  });

  // Issue 16: the foreign-key check of each new user's invitation token was planned once while the
  // users table was all but empty, on the Users list's (instance_id, lower(name), id) index, with
  // `id` a key past a column it does not constrain: each check then went through every user of the
  // instance (the import slowed as it went, quadratic). Which index each check took shows in the
  // indexes' scan counts; the embedded engine has them at once (one backend), PostgreSQL only once
  // each pooled backend has flushed its statistics, so they are read on PGlite.
  it.runIf(engine === 'pglite')("checks each new user's foreign keys on the (instance_id, id) key, not on a Users list index", async () => {
    const { instance } = await givenInstance(deps);
    const scans = async () => {
      await sql`select pg_stat_force_next_flush()`.execute(database.db);
      const { rows } = await sql<{ index: string; scans: string }>`select indexrelname as index, idx_scan as scans
        from pg_stat_user_indexes where relname = 'users'`.execute(database.db);
      return (prefix: string) => rows.filter((r) => r.index.startsWith(prefix)).reduce((sum, r) => sum + Number(r.scans), 0);
    };
    const before = await scans();
    const count = 4 * IMPORT_BATCH_SIZE;
    expect((await importUsers(deps, instance.slug, rows(instance.slug, count))).created).toBe(count);
    const after = await scans();
    // One check per invitation token. At most the first batch's took a list index (planned before
    // the import's first refresh of the statistics); all the others took the foreign key's own.
    expect(after('users_list_') - before('users_list_')).toBeLessThanOrEqual(IMPORT_BATCH_SIZE);
    expect(after('users_instance_id_key') - before('users_instance_id_key')).toBeGreaterThanOrEqual(count - IMPORT_BATCH_SIZE);
  });
});
