/**
 * Once per run, before any file of the projects that use a database:
 * - build dist/ and web/dist when missing or stale (scripts/build.mjs --if-stale): tests that
 *   start the server or the CLI as processes run the compiled build, as `npm start` does;
 * - the migrated PGlite snapshot every file's database starts from (pglite-snapshot.ts);
 * - when TEST_DATABASE_URL is set, migrate that PostgreSQL database (test files then only ever
 *   add their own instances to it).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { ensurePgliteSnapshot } from './pglite-snapshot.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

export default async function setup(): Promise<void> {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Building keyward failed:\n${build.stdout}\n${build.stderr}`);
  await Promise.all([ensurePgliteSnapshot(), migratePostgres()]);
}

async function migratePostgres(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
}
