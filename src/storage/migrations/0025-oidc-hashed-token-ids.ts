import { sql, type Kysely } from 'kysely';

/**
 * Bearer ids at rest (src/domain/oidc/oidc-state-store.ts, `HASHED_STATE_MODELS`): the rows of
 * authorization codes, access, refresh and client_credentials tokens stored before this
 * migration are keyed by the id itself and carry it in the payload (`jti`). They are re-keyed by
 * the id's SHA-256 (hex, as `sha256Hex`) and lose `jti`, so the tokens already issued keep
 * working and none stays readable. PostgreSQL 11+ and PGlite have `sha256(bytea)`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    update oidc_state
       set id = encode(sha256(convert_to(id, 'UTF8')), 'hex'),
           payload = payload - 'jti'
     where model in ('AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials')
       and payload ? 'jti'`.execute(db);
}

/** Hashes cannot be turned back into tokens: the re-keyed rows go (their holders sign in again). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from oidc_state where model in ('AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials')`.execute(db);
}
