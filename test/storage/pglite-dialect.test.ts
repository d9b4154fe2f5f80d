import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openTestDatabase } from '../support/db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { PLANNED_PER_RUN } from '../../src/storage/prepared.ts';

// The PGlite dialect runs selects and DML as named prepared statements through PGlite's wire
// protocol (src/storage/pglite-dialect.ts) instead of PGlite's query(): these pin that what the
// stores get back is what query() gave (types, counts, errors) and that the statements it keeps
// stay right across rollbacks, schema changes and its bound.
describe('the PGlite dialect', () => {
  let database: DatabaseHandle;
  // Scratch tables of these tests only: the schema's types do not know them.
  let db: Kysely<Record<string, Record<string, unknown>>>;
  const prepared = async () =>
    Number((await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(database.db)).rows[0]!.n);

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    db = database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await sql`create table dialect_probe (id serial primary key, name text not null unique, born timestamptz, data jsonb, raw bytea, big bigint, flag boolean)`.execute(
      database.db,
    );
  });
  afterAll(async () => {
    await database?.close();
  });

  it('sends parameters by the types PostgreSQL infers and parses the columns as PGlite does', async () => {
    const born = new Date('2026-12-03T09:00:00.123Z');
    const inserted = await db
      .insertInto('dialect_probe')
      .values({
        name: 'ada',
        born,
        data: JSON.stringify({ a: [1, 'two'] }),
        raw: Buffer.from([0, 1, 254, 255]),
        big: 9_007_199_254_740_991,
        flag: true,
      })
      .returning(['id', 'born', 'data', 'raw', 'big', 'flag'])
      .executeTakeFirstOrThrow();
    expect(inserted.born).toEqual(born);
    expect(inserted.data).toEqual({ a: [1, 'two'] });
    expect([...(inserted.raw as Uint8Array)]).toEqual([0, 1, 254, 255]);
    expect(inserted.big).toBe(9_007_199_254_740_991);
    expect(inserted.flag).toBe(true);
    const nulls = await db
      .insertInto('dialect_probe')
      .values({ name: 'bob', born: null, data: null })
      .returning(['born', 'data', 'raw'])
      .executeTakeFirstOrThrow();
    expect(nulls).toEqual({ born: null, data: null, raw: null });
  });

  it('counts the rows a write touched, and none for a select', async () => {
    await db
      .insertInto('dialect_probe')
      .values([{ name: 'c1' }, { name: 'c2' }, { name: 'c3' }])
      .execute();
    const updated = await db.updateTable('dialect_probe').set({ flag: false }).where('name', 'like', 'c%').executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(3n);
    const deleted = await db.deleteFrom('dialect_probe').where('name', '=', 'nobody').executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(0n);
    const selected = await db.executeQuery(db.selectFrom('dialect_probe').select('name').where('name', 'like', 'c%').compile());
    expect(selected.rows).toHaveLength(3);
    expect(selected.numAffectedRows).toBe(0n);
  });

  it('throws PostgreSQL errors with their SQLSTATE, from the statement and from its first parse, and stays usable', async () => {
    const insert = (name: string) => db.insertInto('dialect_probe').values({ name }).execute();
    await insert('unique-once');
    await expect(insert('unique-once')).rejects.toMatchObject({ code: '23505' });
    await expect(sql`select no_such_column from dialect_probe`.execute(database.db)).rejects.toMatchObject({ code: '42703' });
    await expect(sql`select ${'x'}::int as n`.execute(database.db)).rejects.toMatchObject({ code: '22P02' });
    expect((await sql<{ n: number }>`select ${'41'}::int + 1 as n`.execute(database.db)).rows).toEqual([{ n: 42 }]);
  });

  it('keeps its prepared statements across a rollback, and a rolled-back write is gone', async () => {
    const named = (name: string) => db.selectFrom('dialect_probe').select('name').where('name', '=', name).execute();
    await expect(
      database.db.transaction().execute(async (trx) => {
        const tx = trx as unknown as typeof db;
        await tx.insertInto('dialect_probe').values({ name: 'rolled-back' }).execute();
        expect(await tx.selectFrom('dialect_probe').select('name').where('name', '=', 'rolled-back').execute()).toEqual([
          { name: 'rolled-back' },
        ]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await named('rolled-back')).toEqual([]);
    await db.insertInto('dialect_probe').values({ name: 'after-rollback' }).execute();
    expect(await named('after-rollback')).toEqual([{ name: 'after-rollback' }]);
  });

  it('runs the queries of one transaction sent at once one after the other, each with its own answer', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    await database.db.transaction().execute(async (trx) => {
      const tx = trx as unknown as typeof db;
      await Promise.all(names.map((name) => tx.insertInto('dialect_probe').values({ name }).execute()));
      const found = await Promise.all(
        names.map((name) => tx.selectFrom('dialect_probe').select('name').where('name', '=', name).executeTakeFirst()),
      );
      expect(found.map((row) => row?.name)).toEqual(names);
    });
  });

  it('prepares a statement again when its table changed under it (0A000), once the failed call is answered', async () => {
    await sql`create table dialect_altered (id int primary key, a text)`.execute(database.db);
    await sql`insert into dialect_altered values (1, 'one')`.execute(database.db);
    const all = () => sql<Record<string, unknown>>`select * from dialect_altered`.execute(database.db);
    expect((await all()).rows).toEqual([{ id: 1, a: 'one' }]);
    await sql`alter table dialect_altered add column b text`.execute(database.db);
    await expect(all()).rejects.toMatchObject({ code: '0A000' });
    expect((await all()).rows).toEqual([{ id: 1, a: 'one', b: null }]);
  });

  it('keeps at most 200 statements prepared, dropping the least recently used, and runs them all', async () => {
    for (let i = 0; i < 260; i += 1) {
      const { rows } = await sql<{ n: number }>`select ${sql.raw(String(i))}::int + ${i}::int as n`.execute(database.db);
      expect(rows).toEqual([{ n: 2 * i }]);
    }
    expect(await prepared()).toBeLessThanOrEqual(200);
    expect(await prepared()).toBeGreaterThan(150);
    // The first text was dropped long ago: it is prepared again.
    expect((await sql<{ n: number }>`select ${sql.raw('0')}::int + ${5}::int as n`.execute(database.db)).rows).toEqual([{ n: 5 }]);
  });

  it('sends a statement marked PLANNED_PER_RUN unnamed, each run planned for its values', async () => {
    const text = (n: number) => sql<{ n: number }>`${sql.raw(PLANNED_PER_RUN)}select ${n}::int + 1 as n, 'planned per run probe' as probe`;
    for (let i = 0; i < 3; i += 1) expect((await text(i).execute(database.db)).rows[0]).toMatchObject({ n: i + 1 });
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_prepared_statements where statement like '%' || 'planned per run' || ' probe%'`.execute(
      database.db,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
