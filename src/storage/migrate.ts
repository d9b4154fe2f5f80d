import { sql, type Kysely, type Migration } from 'kysely';
import * as foundation from './migrations/0001-foundation.ts';
import * as twoFactor from './migrations/0002-two-factor.ts';
import * as backupCodes from './migrations/0003-backup-codes.ts';
import * as passwordPolicy from './migrations/0004-password-policy.ts';
import * as usersList from './migrations/0005-users-list.ts';
import * as userManagement from './migrations/0006-user-management.ts';
import * as reminders from './migrations/0007-reminders.ts';
import * as recoveryAndAudit from './migrations/0008-recovery-and-audit.ts';
import * as factorStrength from './migrations/0009-factor-strength.ts';
import * as throttlingAndNotices from './migrations/0010-throttling-and-notices.ts';
import * as emailNormalisation from './migrations/0012-email-normalisation.ts';
import * as adminRecovery from './migrations/0013-admin-recovery.ts';
import * as throttleKeyColumns from './migrations/0014-throttle-key-columns.ts';
import * as userCountsLock from './migrations/0015-user-counts-lock.ts';
import * as oidcProvider from './migrations/0016-oidc-provider.ts';
import * as oidcClients from './migrations/0017-oidc-clients.ts';
import * as machineActor from './migrations/0018-machine-actor.ts';
import * as oidcClientThrottle from './migrations/0019-oidc-client-throttle.ts';
import * as oidcSessionOfRecord from './migrations/0020-oidc-session-of-record.ts';
import * as oidcBackchannelLogout from './migrations/0021-oidc-backchannel-logout.ts';
import * as usersSearch from './migrations/0022-users-search.ts';
import * as operatorDisable from './migrations/0023-operator-disable.ts';
import * as oidcHashedTokenIds from './migrations/0025-oidc-hashed-token-ids.ts';
import * as protectedApps from './migrations/0027-protected-apps.ts';
import * as parentDomainCookie from './migrations/0028-parent-domain-cookie.ts';
import * as outboxDeadIndex from './migrations/0029-outbox-dead-index.ts';
import * as keyCheck from './migrations/0030-key-check.ts';
import * as auditRetention from './migrations/0031-audit-retention.ts';
import * as housekeepingRuns from './migrations/0032-housekeeping-runs.ts';
import * as userCountsPerStatement from './migrations/0033-user-counts-per-statement.ts';

/** Migrations are listed in code, so a bundled or installed copy never depends on a folder scan. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-two-factor': twoFactor,
  '0003-backup-codes': backupCodes,
  '0004-password-policy': passwordPolicy,
  '0005-users-list': usersList,
  '0006-user-management': userManagement,
  '0007-reminders': reminders,
  '0008-recovery-and-audit': recoveryAndAudit,
  '0009-factor-strength': factorStrength,
  '0010-throttling-and-notices': throttlingAndNotices,
  '0012-email-normalisation': emailNormalisation,
  '0013-admin-recovery': adminRecovery,
  '0014-throttle-key-columns': throttleKeyColumns,
  '0015-user-counts-lock': userCountsLock,
  '0016-oidc-provider': oidcProvider,
  '0017-oidc-clients': oidcClients,
  '0018-machine-actor': machineActor,
  '0019-oidc-client-throttle': oidcClientThrottle,
  '0020-oidc-session-of-record': oidcSessionOfRecord,
  '0021-oidc-backchannel-logout': oidcBackchannelLogout,
  '0022-users-search': usersSearch,
  '0023-operator-disable': operatorDisable,
  '0025-oidc-hashed-token-ids': oidcHashedTokenIds,
  '0027-protected-apps': protectedApps,
  '0028-parent-domain-cookie': parentDomainCookie,
  '0029-outbox-dead-index': outboxDeadIndex,
  '0030-key-check': keyCheck,
  '0031-audit-retention': auditRetention,
  '0032-housekeeping-runs': housekeepingRuns,
  '0033-user-counts-per-statement': userCountsPerStatement,
};

/**
 * Whether every migration listed here is recorded as applied: one SELECT, so a start (and every
 * CLI command) on a database that is up to date skips the Migrator, whose lock-table set-up and
 * bookkeeping cost about half a second on the embedded database. Also the readiness check
 * (`/readyz`, SPEC §8): false when the database does not answer. A database migrated further by
 * a newer version is current for this one (expand/contract: N and N+1 serve together).
 */
export async function schemaIsCurrent(db: Kysely<any>): Promise<boolean> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(rows.rows.map((row) => row.name));
    return Object.keys(MIGRATIONS).every((name) => applied.has(name));
  } catch {
    return false; // no migration table yet: a new database
  }
}

/** Any fixed key: the advisory lock that lets one process at a time migrate. */
const MIGRATION_LOCK = 'keyward.migrate';

/**
 * Brings the schema up to date: every pending migration, in name order, in one transaction that
 * first takes a transaction-scoped advisory lock. Processes starting together on one database
 * (several servers, `keyward migrate`) wait for each other there, and each finds the migrations
 * the one before it committed, so each is applied once.
 *
 * Why not Kysely's Migrator: it takes a session-level `pg_advisory_lock` on one statement, runs
 * the migrations in a transaction after it and unlocks with a third statement. Behind PgBouncer
 * in transaction mode these reach different server sessions: the lock is taken on one, the unlock
 * fails on another, and the lock stays with a pooled session, so the next start waits on it
 * forever. A lock that ends with its transaction cannot be stranded. Kysely's bookkeeping tables
 * are kept as they are (kysely_migration, and the lock table older versions expect), so a
 * database migrated by either is the same to both.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  if (await schemaIsCurrent(db)) return [];
  return db.transaction().execute(async (trx) => {
    // Why lift the statement timeout here only: it is for request traffic; a migration may build
    // an index over a big table for minutes, and a process waiting for the lock waits that long.
    // SET LOCAL ends with the transaction, so no pooled session keeps it.
    await sql`set local statement_timeout = 0`.execute(trx);
    await sql`select pg_advisory_xact_lock(hashtext(${MIGRATION_LOCK}))`.execute(trx);
    await sql`create table if not exists kysely_migration (name varchar(255) primary key not null, timestamp varchar(255) not null)`.execute(
      trx,
    );
    await sql`create table if not exists kysely_migration_lock (id varchar(255) primary key not null, is_locked integer default 0 not null)`.execute(
      trx,
    );
    const done = new Set((await sql<{ name: string }>`select name from kysely_migration`.execute(trx)).rows.map((row) => row.name));
    const applied: string[] = [];
    for (const name of Object.keys(MIGRATIONS).sort()) {
      if (done.has(name)) continue;
      await MIGRATIONS[name]!.up(trx);
      await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(trx);
      applied.push(name);
    }
    return applied;
  });
}
