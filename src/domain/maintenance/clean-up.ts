import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import type { AuditPrune, HousekeepingCounts, TableUpkeep, TwoFactorAdoptionCounts } from './housekeeping-store.ts';
import { loginUrl, passwordExpiryWarningMail, setupReminderMail } from '../mail/templates.ts';

/** Sent mail is kept 30 days (for admins' delivery questions), then deleted. */
export const SENT_MAIL_RETENTION_SECONDS = 30 * 24 * 60 * 60;

export const REMINDER_INTERVAL_SECONDS = 7 * 24 * 60 * 60;
const REMINDER_BATCH = 5000;

/**
 * Weekly reminders to users with 2FA enabled and no app yet (SPEC rule 3's rollout), and one
 * warning per password before it expires (rule 10). Batches keep each run short.
 */
export async function sendReminders(deps: Deps): Promise<{ setup: number; expiry: number }> {
  const now = deps.clock.now();
  // The mails are the templates' (mail/templates.ts), rendered inside the store's transaction for
  // each user it picks: decided, queued and marked together, once per user.
  const setup = await deps.stores.housekeeping.remindPendingSetup(now, addSeconds(now, -REMINDER_INTERVAL_SECONDS), REMINDER_BATCH, (due) =>
    setupReminderMail({
      to: due.to,
      instanceName: due.instanceName,
      loginUrl: loginUrl(deps.publicUrl, due.instanceSlug),
      deadline: due.deadline,
    }),
  );
  const expiry = await deps.stores.housekeeping.warnExpiringPasswords(now, REMINDER_BATCH, (due) =>
    passwordExpiryWarningMail({
      to: due.to,
      instanceName: due.instanceName,
      loginUrl: loginUrl(deps.publicUrl, due.instanceSlug),
      expiresAt: due.expiresAt,
    }),
  );
  if (setup + expiry > 0) deps.mailQueued();
  return { setup, expiry };
}

/** Audit events deleted per statement, and statements per housekeeping run (100,000 events a run at most). */
export const AUDIT_PRUNE_BATCH = 5000;
export const AUDIT_PRUNE_MAX_BATCHES = 20;

/**
 * A housekeeping run's deletions, what the audit prune did (null: no retention set, nothing
 * pruned), and the tables it vacuumed and analyzed (the embedded engine's only).
 */
export type HousekeepingReport = HousekeepingCounts & { auditPrune: AuditPrune | null; tables: TableUpkeep };

/**
 * Deletes audit events older than KEYWARD_AUDIT_RETENTION_DAYS (nothing when it is unset: kept
 * forever), a bounded amount per run: a backlog (the setting just turned on) goes over the next
 * runs, never in one long transaction that would hold the table.
 */
export async function pruneAuditEvents(
  deps: Deps,
  batchSize = AUDIT_PRUNE_BATCH,
  maxBatches = AUDIT_PRUNE_MAX_BATCHES,
): Promise<AuditPrune | null> {
  if (!deps.auditRetentionDays) return null;
  const before = addSeconds(deps.clock.now(), -deps.auditRetentionDays * 24 * 60 * 60);
  return deps.stores.housekeeping.pruneAuditEvents(before, batchSize, maxBatches);
}

/**
 * Deletes expired sessions, known locations and setup links, old sent mail, forgotten IP counters,
 * expired OpenID Connect provider state and audit events past their retention; then vacuums and
 * analyzes the tables that need it where no autovacuum does (the embedded engine).
 */
export async function cleanUp(deps: Deps): Promise<HousekeepingReport> {
  const now = deps.clock.now();
  // Today's point of every instance's adoption chart, rewritten each run (the last one of a day stays).
  await deps.stores.housekeeping.snapshotAdoption(now.toISOString().slice(0, 10));
  await sendReminders(deps);
  const counts = await deps.stores.housekeeping.deleteExpired(now, addSeconds(now, -SENT_MAIL_RETENTION_SECONDS));
  const auditPrune = await pruneAuditEvents(deps);
  // Last: the rows this run deleted are among the dead ones it counts.
  const tables = await deps.stores.housekeeping.upkeepTables();
  return { ...counts, auditEvents: auditPrune?.deleted ?? 0, auditPrune, tables };
}

/**
 * Housekeeping as every server process runs it on its timer: cleanUp, once per `intervalSeconds`
 * across all processes on the database (issue 15); null when another process ran it within the
 * interval. Why: each run's reminders and deletions are safe to race, but N processes would do
 * N times the work on every tick for nothing. A timer fires late, never early, so a process that
 * ran last claims again on its next tick; one that ticks just before the interval is over skips
 * that tick, so a run happens at most once per interval and at least once in two.
 */
export async function runHousekeeping(deps: Deps, intervalSeconds: number): Promise<HousekeepingReport | null> {
  const now = deps.clock.now();
  if (!(await deps.stores.housekeeping.claimRun(now, addSeconds(now, -intervalSeconds)))) return null;
  return cleanUp(deps);
}

/** At most this many instances get their own adoption series (KEYWARD_METRICS_INSTANCE_LABELS). */
export const METRICS_INSTANCE_LIMIT = 100;

/** The 2FA adoption for the metrics gauges: every process reads it on its housekeeping tick, claimed or not. */
export function readTwoFactorAdoption(deps: Deps, perInstance: boolean): Promise<TwoFactorAdoptionCounts> {
  return deps.stores.housekeeping.countTwoFactorAdoption(perInstance ? METRICS_INSTANCE_LIMIT : 0);
}
