/**
 * The one formatter of times and dates in the web UI (issue 13): the chosen language (the
 * browser's own variant of it, set by web/src/i18n/current.ts) and the browser's time zone, the
 * zone named, the year only when it is not this year.
 *   formatTime: "3 Dec, 14:05 CET" · "3 Dec 2025, 14:05 CET" (in en-GB; other locales their own way)
 *   formatDate: "3 Dec 2026" — a calendar day (deadlines, expiry), always with its year
 */
type When = string | number | Date;

/** The locale of the chosen language (set by web/src/i18n/current.ts); undefined: the runtime's own. */
let dateLocale: string | undefined;

/** The language changed: dates and times follow it from the next render on. */
export function setDateLocale(tag: string | undefined): void {
  dateLocale = tag;
}

const TIME_PARTS = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' } as const;
const formats = new Map<string, Intl.DateTimeFormat>();

function format(options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  const tag = dateLocale;
  const key = JSON.stringify([tag ?? null, options, timeZone ?? null]);
  let found = formats.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(tag, timeZone ? { ...options, timeZone } : options);
    formats.set(key, found);
  }
  return found;
}

/** The year of `date` as seen in `timeZone` (the browser's when undefined). */
function yearIn(date: Date, timeZone?: string): string {
  return format({ year: 'numeric' }, timeZone).format(date);
}

/** A moment: "3 Dec, 14:05 CET", with the year when it is not this year's. */
export function formatTime(at: When, options: { now?: Date; timeZone?: string } = {}): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return '';
  const sameYear = yearIn(date, options.timeZone) === yearIn(options.now ?? new Date(), options.timeZone);
  return format(sameYear ? TIME_PARTS : { ...TIME_PARTS, year: 'numeric' }, options.timeZone).format(date);
}

/** A calendar day in the browser's zone: "3 Dec 2026". */
export function formatDate(at: When, options: { timeZone?: string } = {}): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return '';
  return format({ day: 'numeric', month: 'short', year: 'numeric' }, options.timeZone).format(date);
}

/** A day the server counts in UTC ("2026-12-03", the adoption chart's): that day, not the browser's. */
export function formatUtcDay(day: string): string {
  return formatDate(`${day}T00:00:00Z`, { timeZone: 'UTC' });
}
