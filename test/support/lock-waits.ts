/**
 * Replaying a race in one fixed interleaving on PostgreSQL instead of hoping a burst hits the
 * window: a transaction holding the competing rows is left open (heldOpen), the operation under
 * test starts on another connection, the test waits until PostgreSQL shows it waiting behind that
 * transaction (waitingBehind), and only then commits. PostgreSQL only: PGlite has one connection.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';

export const WAIT_LIMIT_MS = 10_000;

/**
 * Backends waiting on a lock behind `holder` (the open transaction's backend), directly or behind
 * a backend that waits on it. Matched by pid, not by "any lock wait": test files sharing one
 * PostgreSQL database may wait on their own locks at the same moment.
 */
export async function waitingBehind(db: Kysely<Database>, holder: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with direct as (select pid from pg_stat_activity where ${holder}::int = any(pg_blocking_pids(pid)))
    select count(*)::int as n from pg_stat_activity a
    where a.pid in (select pid from direct)
       or exists (select 1 from direct d where d.pid = any(pg_blocking_pids(a.pid)))`.execute(db);
  return Number(rows[0]?.n);
}

/** Polls until `done()` holds; fails the test after WAIT_LIMIT_MS instead of hanging. */
export async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs `work` in a transaction and keeps it open (its locks held) until `commit()`. */
export function heldOpen<T>(db: Kysely<Database>, work: (tx: Kysely<Database>) => Promise<T>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let done!: (value: T) => void;
  const result = new Promise<T>((resolve) => (done = resolve));
  let pid = 0;
  const committed = db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
    pid = Number(rows[0]?.pid);
    const value = await work(tx);
    done(value);
    await gate;
    return value;
  });
  return {
    /** What `work` returned, once it ran (the transaction still open). */
    ran: Promise.race([result, committed]),
    /** The backend that holds the transaction's locks (known once `ran` resolved). */
    pid: () => pid,
    commit: () => (release(), committed),
  };
}

/** Settles to 'settled' when `p` settles, without unhandled rejections. */
export function settledFlag(p: Promise<unknown>): { settled: () => boolean } {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled };
}
