/**
 * Times and dates as mails say them: "3 Dec, 14:05 UTC", "1 Jan 2027, 09:30 UTC", "15 Dec 2026".
 * As the web UI's web/src/time.ts (issue 13): a moment carries its year only when it is not the
 * year the mail is written in; a calendar day (a deadline) always does. A mail is read anywhere
 * and an instance has no time zone of its own, so mails name UTC (a bare ISO timestamp is not
 * readable).
 */
const PARTS = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' } as const;
const TIME = new Intl.DateTimeFormat('en-GB', PARTS);
const TIME_WITH_YEAR = new Intl.DateTimeFormat('en-GB', { ...PARTS, year: 'numeric' });
const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/**
 * "3 Dec, 14:05 UTC" when `at` is in the UTC year of `now` (when the mail is written), else
 * "1 Jan 2027, 09:30 UTC".
 */
export function mailTime(at: Date, now: Date): string {
  const format = at.getUTCFullYear() === now.getUTCFullYear() ? TIME : TIME_WITH_YEAR;
  return `${format.format(at)} UTC`;
}

/**
 * The moment a mail is about when the mail is written at that moment (a login, a change, a
 * lock): this year, so without the year.
 */
export function eventTime(at: Date): string {
  return mailTime(at, at);
}

/** "15 Dec 2026": the UTC calendar day of `at`. */
export function mailDate(at: Date): string {
  return DATE.format(at);
}
