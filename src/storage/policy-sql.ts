import { sql, type RawBuilder } from 'kysely';

/**
 * Second copies in SQL of two policy rules of domain/policy/two-factor-rules.ts, for statements
 * that decide over every user of every instance at once (the housekeeping's reminders and the
 * adoption snapshot) or of one instance ("ask users to enable"), where reading each user into
 * TypeScript would not scale to a million.
 * test/storage/policy-sql.test.ts pins each to its home on a table of inputs, on every engine.
 */

/** effectiveTwoFactorStatus(): 'active', 'pending' or 'off' from the own switch, the app and auto-enable. */
export function twoFactorStatusSql(
  enabled: RawBuilder<boolean>,
  associated: RawBuilder<boolean>,
  autoEnable: RawBuilder<boolean>,
): RawBuilder<string> {
  return sql<string>`(case when not (${enabled} or ${autoEnable}) then 'off' when ${associated} then 'active' else 'pending' end)`;
}

/** passwordExpiresAt(): the change plus the policy's maximum age in days (null without rotation). */
export function passwordExpiresAtSql(changedAt: RawBuilder<Date | null>, maxAgeDays: RawBuilder<number | null>): RawBuilder<Date | null> {
  return sql<Date | null>`(${changedAt} + make_interval(secs => (${maxAgeDays} * 86400)::float8))`;
}

/** passwordWarningFrom(): warnDays before the expiry, the expiry itself without warnDays (null without rotation). */
export function passwordWarningFromSql(
  changedAt: RawBuilder<Date | null>,
  maxAgeDays: RawBuilder<number | null>,
  warnDays: RawBuilder<number | null>,
): RawBuilder<Date | null> {
  return sql<Date | null>`(${changedAt} + make_interval(secs => ((${maxAgeDays} - coalesce(${warnDays}, 0)) * 86400)::float8))`;
}
