import { describe, expect, it } from 'vitest';
import { describeStep, stageAfterPassword, stageAfterSecondFactor } from '../../src/domain/login/login-step.ts';
import { DEFAULT_KNOWN_LOCATION_SETTINGS, type Instance } from '../../src/domain/instance/instance.ts';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';
import type { User } from '../../src/domain/account/user.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const DEPS = { totpIssuer: 'keyward' };
const DEADLINE = new Date('2026-12-24T00:00:00Z');

function instance(twoFactor: Partial<PasswordPolicy['twoFactor']> = {}, password: Partial<PasswordPolicy['password']> = {}): Instance {
  return {
    id: 'instance-1',
    slug: 'acme',
    name: 'Acme',
    plan: 'enterprise',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    knownLocations: DEFAULT_KNOWN_LOCATION_SETTINGS,
    policy: { twoFactor: { ...DEFAULT_POLICY.twoFactor, ...twoFactor }, password: { ...DEFAULT_POLICY.password, ...password } },
  };
}

function user(overrides: Partial<User> = {}): User {
  return {
    id: 'user-1',
    instanceId: 'instance-1',
    email: 'max@acme.test',
    name: 'Max Member',
    role: 'member',
    status: 'active',
    twoFactorEnabled: false,
    passwordChangedAt: new Date('2026-11-20T00:00:00Z'),
    createdAt: new Date('2026-01-01T00:00:00Z'),
    setupPostponements: 0,
    ...overrides,
  };
}

const ROTATING = { maxAgeDays: 30 };
const EXPIRED = { passwordChangedAt: new Date('2026-10-01T00:00:00Z') };

describe('where a correct password leads (SPEC rule 5)', () => {
  it('finishes the login without 2FA, wherever the browser is', () => {
    for (const known of [false, true]) expect(stageAfterPassword(instance(), user(), false, known, NOW)).toBe('done');
  });

  it('asks a user with an app for a code from a new location, and not from a known one', () => {
    const withApp = user({ twoFactorEnabled: true });
    expect(stageAfterPassword(instance(), withApp, true, false, NOW)).toBe('verify');
    expect(stageAfterPassword(instance(), withApp, true, true, NOW)).toBe('done');
  });

  it('sends a user with 2FA enabled and no app to setup, own switch or auto-enable, known location or not', () => {
    for (const known of [false, true]) {
      expect(stageAfterPassword(instance(), user({ twoFactorEnabled: true }), false, known, NOW)).toBe('setup');
      expect(stageAfterPassword(instance({ autoEnable: true }), user(), false, known, NOW)).toBe('setup');
    }
  });

  it('asks for a new password after the second factor when it expired (rule 10), and not before the code', () => {
    const rotating = instance({}, ROTATING);
    expect(stageAfterPassword(rotating, user(EXPIRED), false, false, NOW)).toBe('change_password');
    expect(stageAfterPassword(rotating, user({ ...EXPIRED, twoFactorEnabled: true }), true, false, NOW)).toBe('verify');
    expect(stageAfterPassword(rotating, user({ ...EXPIRED, twoFactorEnabled: true }), true, true, NOW)).toBe('change_password');
    expect(stageAfterSecondFactor(rotating, user(EXPIRED), NOW)).toBe('change_password');
    expect(stageAfterSecondFactor(rotating, user(), NOW)).toBe('done');
    expect(stageAfterSecondFactor(instance(), user(EXPIRED), NOW)).toBe('done');
  });
});

describe('what each login stage tells the client (SPEC §3)', () => {
  it('answers done, verify with both methods, and change_password as they are', () => {
    expect(describeStep(DEPS, 'done', instance(), user(), NOW)).toEqual({ next: 'done' });
    expect(describeStep(DEPS, 'verify', instance(), user(), NOW)).toEqual({
      next: 'verify',
      methods: ['totp', 'backup_code'],
      issuer: 'Acme (keyward)',
    });
    expect(describeStep(DEPS, 'change_password', instance(), user(), NOW)).toEqual({ next: 'change_password' });
  });

  it("answers setup with the user's setup demand: postponable, postponements left, deadline", () => {
    expect(describeStep(DEPS, 'setup', instance({ autoEnable: true }), user(), NOW)).toEqual({ next: 'setup', canPostpone: true });
    const limited = instance({ autoEnable: true, enforceSetup: true, enforceFrom: DEADLINE, maxPostpones: 3 });
    expect(describeStep(DEPS, 'setup', limited, user({ setupPostponements: 1 }), NOW)).toEqual({
      next: 'setup',
      canPostpone: true,
      postponesLeft: 2,
      enforceFrom: DEADLINE.toISOString(),
    });
    expect(describeStep(DEPS, 'setup', limited, user({ setupPostponements: 3 }), NOW)).toEqual({
      next: 'setup',
      canPostpone: false,
      postponesLeft: 0,
      enforceFrom: DEADLINE.toISOString(),
    });
    expect(describeStep(DEPS, 'setup', instance({ autoEnable: true, enforceSetup: true }), user(), NOW)).toEqual({
      next: 'setup',
      canPostpone: false,
    });
  });
});
