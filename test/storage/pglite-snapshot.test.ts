import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestDatabase } from '../support/db.ts';
import { pgliteSnapshotPath } from '../support/pglite-snapshot.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';

// Every test file's PGlite starts from one migrated snapshot instead of migrating itself, so a
// stale snapshot would test yesterday's schema: these pin that it is current and keyed correctly.
describe('the migrated PGlite snapshot test databases start from', () => {
  it('has every migration applied and the tables of the schema', async () => {
    const database = await openTestDatabase('pglite');
    try {
      expect(await migrateToLatest(database.db)).toEqual([]);
      const tables = await database.db.introspection.getTables();
      expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['instances', 'users', 'sessions', 'totp_credentials']));
    } finally {
      await database.close();
    }
  });

  it('gives each database its own copy: what one file writes, the next does not see', async () => {
    const [first, second] = [await openTestDatabase('pglite'), await openTestDatabase('pglite')];
    try {
      await first.db.schema.createTable('only_in_first').addColumn('id', 'integer').execute();
      const names = (await second.db.introspection.getTables()).map((table) => table.name);
      expect(names).not.toContain('only_in_first');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  describe('its cache key', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-snapshot-key-'));
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    };
    write('src/storage/migrations/0001-a.ts', 'create a');
    write('src/storage/migrate.ts', "list: ['0001-a']");
    write('src/storage/connect.ts', 'extensions: { pg_trgm }');
    write('node_modules/@electric-sql/pglite/package.json', '{"version":"0.5.16"}');

    it.each([
      ['a migration changes', () => write('src/storage/migrations/0001-a.ts', 'create a with b')],
      ['a migration is added', () => write('src/storage/migrations/0002-b.ts', 'create b')],
      ['the list of migrations changes', () => write('src/storage/migrate.ts', "list: ['0001-a', '0002-b']")],
      ['the extensions PGlite is opened with change', () => write('src/storage/connect.ts', 'extensions: { pg_trgm, citext }')],
      ['PGlite is another version', () => write('node_modules/@electric-sql/pglite/package.json', '{"version":"0.6.0"}')],
    ])('changes when %s', (_what, change) => {
      const before = pgliteSnapshotPath(root);
      expect(pgliteSnapshotPath(root)).toBe(before);
      change();
      expect(pgliteSnapshotPath(root)).not.toBe(before);
    });
  });
});
