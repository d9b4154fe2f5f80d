import { sql, type Kysely } from 'kysely';
import type { SetupTokenStore } from '../domain/setup/setup-token-store.ts';
import type { Database } from './schema.ts';

export function setupTokenStore(db: Kysely<Database>): SetupTokenStore {
  return {
    async replace(tokenHash, expiresAt) {
      await sql`
        with gone as (delete from setup_tokens)
        insert into setup_tokens (token_hash, expires_at) values (${tokenHash}, ${expiresAt})`.execute(db);
    },
    async consume(tokenHash, now) {
      const row = await db
        .updateTable('setup_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('token_hash')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
