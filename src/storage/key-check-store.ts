import { sql, type Kysely } from 'kysely';
import type { KeyCheckStore } from '../domain/maintenance/key-check.ts';
import type { Database } from './schema.ts';

export function keyCheckStore(db: Kysely<Database>): KeyCheckStore {
  return {
    async findOrInsert(sealed, now) {
      // One statement: the insert of a first start, or the row another start wrote first.
      const { rows } = await sql<{ sealed: string }>`
        with inserted as (
          insert into key_check (id, sealed, sealed_at) values (1, ${sealed}, ${now})
          on conflict (id) do nothing
          returning sealed
        )
        select sealed from inserted
        union all
        select sealed from key_check where id = 1 and not exists (select 1 from inserted)`.execute(db);
      if (rows[0]) return rows[0].sealed;
      // A first start racing this one committed its row after this statement's snapshot: read it now.
      const row = await db.selectFrom('key_check').select('sealed').where('id', '=', 1).executeTakeFirstOrThrow();
      return row.sealed;
    },
    async replace(sealed, now) {
      await db
        .insertInto('key_check')
        .values({ id: 1, sealed, sealed_at: now })
        .onConflict((c) => c.column('id').doUpdateSet({ sealed, sealed_at: now }))
        .execute();
    },
  };
}
