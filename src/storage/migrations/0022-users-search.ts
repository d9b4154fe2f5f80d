import { sql, type Kysely } from 'kysely';

/**
 * Issue 13, the Users list finds a word anywhere in the name or email (a surname, a domain): a
 * trigram GIN index (pg_trgm) over the two keys the list already searches and sorts by,
 * `email_key` and `lower(name)`, so `like '%word%'` is an index lookup at a million users. A
 * trigram needs three characters: shorter input stays a prefix range on the list's btree indexes
 * (user-directory-store.ts). PGlite loads pg_trgm as a contrib extension (connect.ts); on a
 * PostgreSQL server pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may
 * create it without being a superuser.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  // Why fastupdate off: with GIN's pending list, users added since the last vacuum (an import of
  // thousands) sit unsorted in it, the planner prices the index by it and scans the table instead
  // until autovacuum runs. Users are added rarely next to how often the list is searched.
  await sql`create index users_search_trgm_idx on users using gin (email_key gin_trgm_ops, (lower(name)) gin_trgm_ops)
            with (fastupdate = off)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists users_search_trgm_idx`.execute(db);
}
