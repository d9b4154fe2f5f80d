/**
 * Times and dates as mails say them: "3 Dec 2026, 14:05 UTC", "15 Dec 2026". A mail is read later
 * and anywhere, and an instance has no time zone of its own, so mails always carry the year and
 * name UTC (issue 13: a bare ISO timestamp is not readable).
 */
const TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});
const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "3 Dec 2026, 14:05 UTC". */
export function mailTime(at: Date): string {
  return `${TIME.format(at)} UTC`;
}

/** "15 Dec 2026": the UTC calendar day of `at`. */
export function mailDate(at: Date): string {
  return DATE.format(at);
}
