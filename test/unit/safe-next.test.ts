import { describe, expect, it } from 'vitest';
import { safeNext } from '../../web/src/safe-next.ts';

// Issue 13: a deep link survives the login, but `?next=` is never an open redirect (CWE-601).
describe('the page a login leads back to (?next=)', () => {
  const origin = 'https://keyward.example';

  it('keeps the signed-in pages of this app, with their query', () => {
    expect(safeNext('/settings', origin)).toBe('/settings');
    expect(safeNext('/profile/password', origin)).toBe('/profile/password');
    expect(safeNext('/settings?tab=audit#x', origin)).toBe('/settings?tab=audit#x');
  });

  it('refuses other hosts, schemes, backslashes, control characters and other paths', () => {
    for (const hostile of [
      '//evil.test/settings',
      '/\\evil.test/settings',
      '/\\/evil.test',
      'https://evil.test/settings',
      'javascript:alert(1)',
      ' /settings',
      '/settings\n',
      '/%2F%2Fevil.test',
      '/profile/../../api/v1/me',
      '/api/v1/me',
      '/login',
      '/support',
      'settings',
      '',
      null,
      undefined,
      `/settings/${'a'.repeat(3000)}`,
    ]) {
      expect(safeNext(hostile, origin), String(hostile)).toBeNull();
    }
  });
});
