import { describe, expect, it } from 'vitest';
import { OPERATOR_PROFILE, USER_PROFILE } from '../../src/domain/auth/profile.ts';
import {
  isReplayedStep,
  isTokenOf,
  newAuthToken,
  parseAuthToken,
  sessionEndsAt,
  stepUpUntil,
} from '../../src/domain/auth/session-rules.ts';
import { addSeconds } from '../../src/domain/shared/clock.ts';

const at = new Date('2026-12-01T12:00:00Z');

describe.each([
  ['users', USER_PROFILE],
  ['support operators', OPERATOR_PROFILE],
] as const)('the kernel’s rules for %s', (_name, profile) => {
  it('counts a TOTP code as fresh strictly before 10 minutes, and never past them even when configured longer', () => {
    const session = { secondFactorAt: at, secondFactorKind: 'totp' as const };
    expect(stepUpUntil(profile, session, addSeconds(at, 599))).toEqual(addSeconds(at, 600));
    expect(stepUpUntil(profile, session, addSeconds(at, 600))).toBeNull();
    expect(stepUpUntil(profile, session, addSeconds(at, 599), 3600)).toEqual(addSeconds(at, 600));
    expect(stepUpUntil(profile, session, addSeconds(at, 60), 60)).toBeNull();
  });

  it('never counts a backup code or no code as fresh', () => {
    expect(stepUpUntil(profile, { secondFactorAt: at, secondFactorKind: 'backup_code' }, at)).toBeNull();
    expect(stepUpUntil(profile, { secondFactorAt: null, secondFactorKind: null }, at)).toBeNull();
  });

  it('treats a step not newer than the last used one as a replay', () => {
    expect(isReplayedStep(100, 100)).toBe(true);
    expect(isReplayedStep(99, 100)).toBe(true);
    expect(isReplayedStep(101, 100)).toBe(false);
  });

  it('keeps a step-up’s session within the replaced session’s end', () => {
    const end = addSeconds(at, 60);
    expect(sessionEndsAt(profile, 'done', at, end)).toEqual(end);
    expect(sessionEndsAt(profile, 'done', at)).toEqual(addSeconds(at, profile.fullSeconds));
    expect(sessionEndsAt(profile, 'verify', at)).toEqual(addSeconds(at, profile.pendingSeconds));
  });

  it('parses only tokens of its own kind', () => {
    const own = newAuthToken(profile);
    const other = newAuthToken(profile === USER_PROFILE ? OPERATOR_PROFILE : USER_PROFILE);
    expect(parseAuthToken(profile, own.token)?.id).toBe(own.id);
    expect(parseAuthToken(profile, other.token)).toBeNull();
    expect(isTokenOf(OPERATOR_PROFILE, own.token)).toBe(profile === OPERATOR_PROFILE);
  });
});

describe('the profiles', () => {
  it('hold the real differences as data', () => {
    expect([USER_PROFILE.pendingSeconds, USER_PROFILE.fullSeconds]).toEqual([15 * 60, 12 * 60 * 60]);
    expect([OPERATOR_PROFILE.pendingSeconds, OPERATOR_PROFILE.fullSeconds]).toEqual([10 * 60, 2 * 60 * 60]);
    expect(OPERATOR_PROFILE.knownLocationSkipsCode).toBe(false);
    expect(OPERATOR_PROFILE.keys.secondFactor('x')).not.toBe(USER_PROFILE.keys.secondFactor('x'));
  });
});
