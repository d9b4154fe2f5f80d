/**
 * Test databases: PGlite always, PostgreSQL too when TEST_DATABASE_URL is set. One database per
 * test file (PGlite takes seconds to start); tests isolate themselves by creating instances.
 */
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';

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
  const handle = await openDatabase({ kind: 'pglite-memory' });
  await migrateToLatest(handle.db);
  return handle;
}
