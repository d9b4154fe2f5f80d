import { describe, expect, it } from 'vitest';
import { formatDate, formatTime, formatUtcDay } from '../../web/src/time.ts';
import { mailDate, mailTime } from '../../src/domain/mail/mail-time.ts';

// Issue 13: times people read name their zone and carry the year when it is not this year.
describe('the web UI formatter', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const zone = { now, timeZone: 'Europe/Berlin' };

  it('names the zone and leaves out this year', () => {
    const text = formatTime('2026-12-03T13:05:00Z', zone);
    expect(text).toMatch(/\b3\b/);
    expect(text).toMatch(/Dec/);
    expect(text).toMatch(/(14:05|2:05\sPM)/);
    expect(text).toMatch(/CET|GMT\+1/);
    expect(text).not.toContain('2026');
  });

  it('adds the year of another year, as seen in the zone', () => {
    expect(formatTime('2025-12-03T13:05:00Z', zone)).toContain('2025');
    // 23:30 UTC on 31 Dec 2025 is already 2026 in Berlin: this year there, no year shown.
    expect(formatTime('2025-12-31T23:30:00Z', zone)).not.toMatch(/2025|2026/);
    expect(formatTime('2025-12-31T23:30:00Z', { now, timeZone: 'UTC' })).toContain('2025');
  });

  it('gives days with their year, and UTC days as the server counted them', () => {
    expect(formatDate('2026-12-15T12:00:00Z', zone)).toMatch(/15.*Dec.*2026|Dec.*15.*2026/);
    expect(formatUtcDay('2026-12-03')).toMatch(/3.*Dec.*2026|Dec.*3.*2026/);
    expect(formatTime('not a time')).toBe('');
  });
});

describe('mail times', () => {
  it('say UTC, and the year only when it is not the year the mail is written in, as the UI does', () => {
    const now = new Date('2026-12-03T13:05:00Z');
    expect(mailTime(now, now)).toBe('3 Dec, 13:05 UTC');
    expect(mailTime(new Date('2027-01-01T09:30:00Z'), new Date('2026-12-31T12:00:00Z'))).toBe('1 Jan 2027, 09:30 UTC');
    expect(mailTime(new Date('2026-12-31T23:30:00Z'), new Date('2027-01-01T00:10:00Z'))).toBe('31 Dec 2026, 23:30 UTC');
  });

  it('give days with their year (deadlines), as the UI does', () => {
    expect(mailDate(new Date('2026-12-15T23:59:00Z'))).toBe('15 Dec 2026');
  });
});
