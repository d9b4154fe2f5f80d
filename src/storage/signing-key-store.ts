import { sql, type Kysely, type Selectable } from 'kysely';
import type { SigningKeyStore, StoredSigningKey } from '../domain/oidc/signing-key-store.ts';
import type { Database, OidcSigningKeysTable } from './schema.ts';

function toKey(row: Selectable<OidcSigningKeysTable>): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    sealedPrivateJwk: row.sealed_private_jwk,
    createdAt: new Date(row.created_at),
    retiredAt: row.retired_at && new Date(row.retired_at),
  };
}

/** One instance's signing keys: `instance_id` is in every statement. */
export function signingKeyStore(db: Kysely<Database>, instanceId: string): SigningKeyStore {
  return {
    async findPublished(retiredAfter) {
      const rows = await db
        .selectFrom('oidc_signing_keys')
        .selectAll()
        .where('instance_id', '=', instanceId)
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', retiredAfter)]))
        .orderBy('created_at', 'desc')
        .orderBy('kid')
        .execute();
      return rows.map(toKey);
    },
    async retireActive(retiredAt) {
      const rows = await db
        .updateTable('oidc_signing_keys')
        .set({ retired_at: retiredAt })
        .where('instance_id', '=', instanceId)
        .where('retired_at', 'is', null)
        .returning('kid')
        .execute();
      return rows.length;
    },
    async insertActive(key) {
      // The partial unique index (one key per algorithm with retired_at null) decides a race.
      const { rows } = await sql<{ kid: string }>`
        insert into oidc_signing_keys (instance_id, kid, alg, sealed_private_jwk, created_at, retired_at)
        values (${instanceId}, ${key.kid}, ${key.alg}, ${key.sealedPrivateJwk}, ${key.createdAt}, null)
        on conflict (instance_id, alg) where retired_at is null do nothing
        returning kid`.execute(db);
      return rows.length === 1;
    },
  };
}
