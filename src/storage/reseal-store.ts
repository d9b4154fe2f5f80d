import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ResealStore, SealedKind } from '../domain/maintenance/rotate-key.ts';
import type { Database } from './schema.ts';

/** Where each kind lives: table, primary key, sealed column, the columns its associated data names, which rows. */
const PLACES: Record<SealedKind, { table: string; key: string[]; column: string; context: string[]; where?: string }> = {
  totp_secret: { table: 'totp_credentials', key: ['instance_id', 'user_id'], column: 'secret_sealed', context: ['instance_id', 'user_id'] },
  operator_totp_secret: { table: 'operators', key: ['id'], column: 'totp_secret_sealed', context: ['id'] },
  pending_totp_secret: { table: 'sessions', key: ['id'], column: 'pending_totp_secret', context: ['instance_id', 'user_id'] },
  operator_pending_totp_secret: { table: 'operator_sessions', key: ['id'], column: 'pending_totp_secret', context: ['operator_id'] },
  oidc_signing_key: {
    table: 'oidc_signing_keys',
    key: ['instance_id', 'kid'],
    column: 'sealed_private_jwk',
    context: ['instance_id', 'kid'],
  },
  oidc_client_secret: {
    table: 'oidc_clients',
    key: ['instance_id', 'client_id'],
    column: 'sealed_secret',
    context: ['instance_id', 'client_id'],
  },
  // Mail from before sealing (sealed = false) is plain text: nothing to re-seal.
  mail_text: { table: 'outbox', key: ['id'], column: 'text_body', context: [], where: 'sealed' },
  mail_html: { table: 'outbox', key: ['id'], column: 'html_body', context: [], where: 'sealed' },
};

const list = (columns: string[]): RawBuilder<unknown> => sql.join(columns.map((c) => sql.ref(c)));
const keyText = (columns: string[]) => sql.join(columns.map((c) => sql`${sql.ref(c)}::text`));

export function resealStore(db: Kysely<Database>): ResealStore {
  return {
    async page(kind, keyId, after, limit) {
      const place = PLACES[kind];
      const column = sql.ref(place.column);
      // Why left(): `_` in a key id would be a LIKE wildcard.
      const conditions = [sql`${column} is not null`, sql`left(${column}, ${keyId.length + 1}) <> ${`${keyId}.`}`];
      if (place.where) conditions.push(sql.ref(place.where));
      // The key columns themselves (an index's order); the parameters take their types.
      if (after) conditions.push(sql`(${list(place.key)}) > (${sql.join(after)})`);
      const { rows } = await sql<{ k: string[]; sealed: string; c: string[] }>`
        select array[${keyText(place.key)}] as k, ${column} as sealed,
               array[${place.context.length ? keyText(place.context) : sql`null`}]::text[] as c
        from ${sql.table(place.table)}
        where ${sql.join(conditions, sql` and `)}
        order by ${list(place.key)}
        limit ${limit}`.execute(db);
      return rows.map((row) => ({ key: row.k, sealed: row.sealed, context: place.context.length ? row.c : [] }));
    },
    async swap(kind, key, sealed, resealed) {
      const place = PLACES[kind];
      const column = sql.ref(place.column);
      const result = await sql`
        update ${sql.table(place.table)} set ${column} = ${resealed}
        where (${list(place.key)}) = (${sql.join(key)}) and ${column} = ${sealed}`.execute(db);
      return Number(result.numAffectedRows ?? 0) === 1;
    },
    async countForeignMacs(keyId) {
      const row = await db
        .selectFrom('backup_codes')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where(sql<boolean>`left(code_mac, ${keyId.length + 1}) <> ${`${keyId}.`}`)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
