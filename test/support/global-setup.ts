/**
 * Once per run: when TEST_DATABASE_URL is set, migrate that PostgreSQL database before any file
 * uses it (test files then only ever add their own instances to it).
 */
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';

export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
}
