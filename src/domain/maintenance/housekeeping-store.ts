import type { MailMessage } from '../mail/mail.ts';

/** A user due for the 2FA setup reminder: what its template needs. */
export interface SetupReminderDue {
  to: string;
  instanceName: string;
  instanceSlug: string;
  /** When enforcement starts, if the instance set a date. */
  deadline: Date | null;
}

/** A user whose password is due for its expiry warning. */
export interface ExpiryWarningDue {
  to: string;
  instanceName: string;
  instanceSlug: string;
  expiresAt: Date;
}

export interface HousekeepingCounts {
  sessions: number;
  knownLocations: number;
  setupTokens: number;
  sentMail: number;
  throttles: number;
  /** oidc-provider state past its expiry (codes, tokens, sessions, interactions), of every instance. */
  oidcState: number;
  /** Audit events older than KEYWARD_AUDIT_RETENTION_DAYS (0 when it is unset: kept forever). */
  auditEvents: number;
}

/** What one prune of the audit log removed: events before `before`, in `batches` statements. */
export interface AuditPrune {
  before: Date;
  deleted: number;
  batches: number;
  /** True when the last batch was full at the batch limit: older events remain for the next run. */
  more: boolean;
}

/** What one run of table upkeep did: the tables vacuumed and the tables analyzed, by name (none on PostgreSQL). */
export interface TableUpkeep {
  vacuumed: string[];
  analyzed: string[];
  /** How long the run took (the engine's one connection is held meanwhile). */
  ms: number;
}

/** Users whose 2FA is active (an app set up) and users in all, overall and for the largest instances. */
export interface TwoFactorAdoptionCounts {
  withTwoFactor: number;
  total: number;
  /** The `instanceLimit` instances with the most users (by slug); empty when the limit is 0. */
  instances: Array<{ slug: string; withTwoFactor: number; total: number }>;
}

/** Removes what can no longer matter. Never touches account throttle keys (NIST's "in a row"). */
export interface HousekeepingStore {
  /**
   * Claims this run of housekeeping for the whole database: true, with `now` recorded as the last
   * run, when no process ran it after `ranBefore`; false when one did (this process skips). Atomic:
   * of processes claiming at once, one gets true.
   */
  /**
   * Has the database read the users again for the planner's statistics, with the tables a new
   * user's rows go to (account tokens, the outbox), on either engine: a bulk insert (the user
   * import) calls it once it has grown them far past what they were. upkeepTables does this, and
   * vacuuming, for every table on a schedule, and on the embedded engine only.
   */
  refreshUserStatistics(): Promise<void>;
  claimRun(now: Date, ranBefore: Date): Promise<boolean>;
  /** Today's 2FA adoption from the user counters (one statement), with at most `instanceLimit` instances listed. */
  countTwoFactorAdoption(instanceLimit: number): Promise<TwoFactorAdoptionCounts>;
  deleteExpired(now: Date, sentMailBefore: Date): Promise<Omit<HousekeepingCounts, 'auditEvents'>>;
  /**
   * Deletes audit events of every instance with `at` before `before`, oldest first, at most
   * `batchSize` per statement and `maxBatches` statements, each its own short transaction (the
   * only one allowed past the append-only trigger, migration 0031). Stops at the first batch that
   * was not full.
   */
  pruneAuditEvents(before: Date, batchSize: number, maxBatches: number): Promise<AuditPrune>;
  /**
   * What autovacuum does, where no autovacuum runs: VACUUM of each of keyward's tables with enough
   * dead (or new) rows since its last vacuum, ANALYZE of each with enough rows changed since its
   * last analyze, by autovacuum's default thresholds, one table per statement and only the tables
   * past them. Nothing on an engine whose server runs autovacuum itself (PostgreSQL). Outside any
   * transaction: VACUUM cannot run in one.
   */
  upkeepTables(): Promise<TableUpkeep>;
  /** Writes (or rewrites) each instance's 2FA counts for `day` (YYYY-MM-DD), for the adoption chart. */
  snapshotAdoption(day: string): Promise<void>;
  /**
   * Queues `render(due)` (no secret: not sealed) to every active user whose 2FA status is
   * `pending`, not reminded since `remindedBefore` and existing since then, at most `limit`, and
   * marks them reminded: one transaction whose first statement locks the users it picks
   * (skipping those a concurrent run holds), so each is reminded once. Returns how many.
   */
  remindPendingSetup(now: Date, remindedBefore: Date, limit: number, render: (due: SetupReminderDue) => MailMessage): Promise<number>;
  /**
   * Queues `render(due)` to users whose password is inside its warning (passwordWarningFrom up
   * to the expiry), once per password, at most `limit`; the same transaction as above.
   */
  warnExpiringPasswords(now: Date, limit: number, render: (due: ExpiryWarningDue) => MailMessage): Promise<number>;
}
