import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';
import {
  isPasswordExpired,
  isTwoFactorEnabled,
  mustSetUpNow,
  passwordExpiresAt,
  postponeLimit,
  setupDemand,
} from '../../src/domain/policy/two-factor-rules.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const LATER = new Date('2026-12-15T00:00:00Z');
const EARLIER = new Date('2026-11-15T00:00:00Z');

function policy(twoFactor: Partial<PasswordPolicy['twoFactor']>, password: Partial<PasswordPolicy['password']> = {}): PasswordPolicy {
  return { twoFactor: { ...DEFAULT_POLICY.twoFactor, ...twoFactor }, password: { ...DEFAULT_POLICY.password, ...password } };
}

const AUTO = policy({ autoEnable: true });
const ENFORCED_NOW = policy({ autoEnable: true, enforceSetup: true });

describe('effective two-factor authentication (SPEC rule 2)', () => {
  it("is the user's own switch, or on for everyone under auto-enable", () => {
    expect(isTwoFactorEnabled(DEFAULT_POLICY, { twoFactorEnabled: false })).toBe(false);
    expect(isTwoFactorEnabled(DEFAULT_POLICY, { twoFactorEnabled: true })).toBe(true);
    expect(isTwoFactorEnabled(AUTO, { twoFactorEnabled: false })).toBe(true);
  });
});

describe('what a login asks of a user without an app (setup demand, SPEC rule 3)', () => {
  it('lets the user postpone at every login without enforcement, with no limit or deadline shown', () => {
    expect(setupDemand(AUTO, 0, NOW)).toEqual({ canPostpone: true });
    expect(setupDemand(AUTO, 50, NOW)).toEqual({ canPostpone: true });
    // A limit stored without enforcement counts for nothing (the limit is part of enforcement).
    expect(setupDemand(policy({ autoEnable: true, maxPostpones: 1 }), 5, NOW)).toEqual({ canPostpone: true });
  });

  it('refuses postponing once enforcement has started, at once or at a past deadline', () => {
    expect(setupDemand(ENFORCED_NOW, 0, NOW)).toEqual({ canPostpone: false });
    expect(setupDemand(policy({ autoEnable: true, enforceSetup: true, enforceFrom: EARLIER }), 0, NOW)).toEqual({ canPostpone: false });
    expect(setupDemand(policy({ autoEnable: true, enforceSetup: true, enforceFrom: NOW }), 0, NOW)).toEqual({ canPostpone: false });
  });

  it('shows a future deadline and lets the user postpone until then', () => {
    expect(setupDemand(policy({ autoEnable: true, enforceSetup: true, enforceFrom: LATER }), 2, NOW)).toEqual({
      canPostpone: true,
      enforceFrom: LATER.toISOString(),
    });
  });

  it('counts the postponements left down to none, and never below', () => {
    const limited = policy({ autoEnable: true, enforceSetup: true, enforceFrom: LATER, maxPostpones: 2 });
    expect(setupDemand(limited, 0, NOW)).toEqual({ canPostpone: true, postponesLeft: 2, enforceFrom: LATER.toISOString() });
    expect(setupDemand(limited, 1, NOW)).toEqual({ canPostpone: true, postponesLeft: 1, enforceFrom: LATER.toISOString() });
    expect(setupDemand(limited, 2, NOW)).toEqual({ canPostpone: false, postponesLeft: 0, enforceFrom: LATER.toISOString() });
    expect(setupDemand(limited, 7, NOW)).toEqual({ canPostpone: false, postponesLeft: 0, enforceFrom: LATER.toISOString() });
    expect(setupDemand(policy({ autoEnable: true, enforceSetup: true, enforceFrom: LATER, maxPostpones: 0 }), 0, NOW).canPostpone).toBe(
      false,
    );
  });

  it('has a postponement limit only under enforcement', () => {
    expect(postponeLimit(policy({ autoEnable: true, enforceSetup: true, maxPostpones: 3 }))).toBe(3);
    expect(postponeLimit(policy({ autoEnable: true, maxPostpones: 3 }))).toBeNull();
    expect(postponeLimit(ENFORCED_NOW)).toBeNull();
  });
});

describe('whether a session must set up an app before anything else (issue 10 item 6)', () => {
  const pending = { twoFactorEnabled: true, setupPostponements: 0 };

  it('never asks a user with an app, one with 2FA off, or anyone without enforcement', () => {
    expect(mustSetUpNow(ENFORCED_NOW, pending, true, NOW)).toBe(false);
    expect(mustSetUpNow(policy({ enforceSetup: true }), { twoFactorEnabled: false, setupPostponements: 0 }, false, NOW)).toBe(false);
    expect(mustSetUpNow(AUTO, pending, false, NOW)).toBe(false);
  });

  it('asks once enforcement has started, and not before a future deadline', () => {
    expect(mustSetUpNow(ENFORCED_NOW, pending, false, NOW)).toBe(true);
    expect(mustSetUpNow(policy({ autoEnable: true, enforceSetup: true, enforceFrom: EARLIER }), pending, false, NOW)).toBe(true);
    expect(mustSetUpNow(policy({ autoEnable: true, enforceSetup: true, enforceFrom: LATER }), pending, false, NOW)).toBe(false);
  });

  it('keeps the rights of the session of the last allowed postponement, and not one beyond it', () => {
    const limited = policy({ autoEnable: true, enforceSetup: true, enforceFrom: LATER, maxPostpones: 2 });
    expect(mustSetUpNow(limited, { twoFactorEnabled: false, setupPostponements: 2 }, false, NOW)).toBe(false);
    expect(mustSetUpNow(limited, { twoFactorEnabled: false, setupPostponements: 3 }, false, NOW)).toBe(true);
  });
});

describe('password expiry under rotation (SPEC rule 10)', () => {
  const rotating = policy({}, { maxAgeDays: 90 });
  const changed = new Date('2026-09-01T12:00:00Z');

  it('expires the password maxAgeDays after its change, to the millisecond', () => {
    const expires = new Date('2026-11-30T12:00:00Z');
    expect(passwordExpiresAt(rotating, changed)).toEqual(expires);
    expect(isPasswordExpired(rotating, changed, new Date(expires.getTime() - 1))).toBe(false);
    expect(isPasswordExpired(rotating, changed, expires)).toBe(true);
  });

  it('never expires without rotation or without a known change', () => {
    expect(passwordExpiresAt(DEFAULT_POLICY, changed)).toBeNull();
    expect(passwordExpiresAt(rotating, null)).toBeNull();
    expect(isPasswordExpired(DEFAULT_POLICY, new Date(0), NOW)).toBe(false);
    expect(isPasswordExpired(rotating, null, NOW)).toBe(false);
  });
});
