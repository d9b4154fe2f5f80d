/**
 * Test databases: PGlite always, PostgreSQL too when TEST_DATABASE_URL is set. One database per
 * test file; tests isolate themselves by creating instances. PGlite starts from the run's migrated
 * snapshot (pglite-snapshot.ts), PostgreSQL was migrated by global setup.
 */
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import os from 'node:os';
import pg from 'pg';
import { pgliteSnapshot } from './pglite-snapshot.ts';

export type EngineName = 'pglite' | 'postgres';

export function engines(): EngineName[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export async function openTestDatabase(engine: EngineName): Promise<DatabaseHandle> {
  if (engine === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set');
    return openDatabase({ kind: 'postgres', url, poolSize: 5 });
  }
  return openDatabase({ kind: 'pglite-memory', snapshot: await pgliteSnapshot() });
}

/**
 * A PostgreSQL database of its own (on the TEST_DATABASE_URL server), for tests that run server
 * processes: their outbox workers would otherwise claim other test files' mail. `prefix` starts its
 * name (a-z0-9_); `base` is the server's URL (the benches give theirs).
 */
/**
 * The PostgreSQL a bench runs on: BENCH_DATABASE_URL, TEST_DATABASE_URL or the local server's
 * `postgres` database, if it answers within 2 s; null when none does (the bench then runs on the
 * embedded engine only).
 */
export async function benchPostgresUrl(): Promise<string | null> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}

/** The engines a bench runs on: `requested` alone, or both, PostgreSQL only when one answers (benchPostgresUrl). */
export async function benchEngines(requested?: string): Promise<{ postgresUrl: string | null; engines: Array<'postgres' | 'pglite'> }> {
  const postgresUrl = await benchPostgresUrl();
  const engines = (requested ? [requested] : ['postgres', 'pglite']).filter((e) => e !== 'postgres' || postgresUrl) as Array<
    'postgres' | 'pglite'
  >;
  return { postgresUrl, engines };
}

/** A bench's first line: the machine, its load and Node, with what it runs (`extra`). */
export function benchMachineLine(extra = ''): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, load ${load}, Node ${process.version}${extra}`;
}

export async function freshPostgresDatabase(
  prefix = 'keyward_t',
  base = process.env.TEST_DATABASE_URL,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    /**
     * Why not at once `with (force)`: a pool's end() resolves when its clients were told to end,
     * before the server has seen them go; a forced drop then terminates those backends, and the
     * FATAL 57P01 it sends reaches a client nobody listens to any more (an unhandled error that
     * failed whole CI runs). A plain drop waits for them: it is refused (55006) while they are
     * still connected, so it is tried again for a few seconds, and forced only as a last resort.
     */
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        for (let attempt = 0; attempt < 50; attempt += 1) {
          try {
            await client.query(`drop database if exists ${name}`);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== '55006') throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A database no other test file touches: for tests that delete across instances (housekeeping). */
export async function openIsolatedDatabase(engine: EngineName): Promise<DatabaseHandle> {
  if (engine === 'pglite') return openTestDatabase('pglite');
  const fresh = await freshPostgresDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 3 });
  await migrateToLatest(handle.db);
  return { ...handle, close: async () => (await handle.close(), await fresh.drop()) };
}
