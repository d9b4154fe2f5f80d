import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PWD, demandsMfa, essentialAcrOf, judgeSession, loginOf } from '../../src/domain/oidc/oidc-login.ts';
import type { ActiveSession } from '../../src/domain/session/session-store.ts';
import { DEFAULT_POLICY } from '../../src/domain/policy/policy.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const now = new Date('2026-03-01T12:00:00Z');
const instance = { id: 'inst-1', slug: 'acme', name: 'Acme', policy: DEFAULT_POLICY } as Instance;

/** A session as the one lookup returns it; only the fields the rules read. */
function session(
  kind: 'totp' | 'backup_code' | null,
  overrides: { stage?: string; instanceId?: string; createdAt?: Date; app?: boolean } = {},
) {
  return {
    session: {
      id: 's',
      stage: overrides.stage ?? 'done',
      createdAt: overrides.createdAt ?? new Date(now.getTime() - 60_000),
      secondFactorAt: kind ? now : null,
      secondFactorKind: kind,
    },
    user: { id: 'user-1' },
    instance: { ...instance, id: overrides.instanceId ?? instance.id },
    totp: overrides.app === false ? null : { secretSealed: 'x', lastUsedStep: 1 },
  } as unknown as ActiveSession;
}

describe('What a keyward session says to a relying party (SPEC §6, RFC 8176)', () => {
  it('states pwd for a password only, otp and mfa for an app code, mfa alone for a backup code', () => {
    expect(loginOf(session(null))).toMatchObject({ acr: ACR_PWD, amr: ['pwd'] });
    expect(loginOf(session('totp'))).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect(loginOf(session('backup_code'))).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'mfa'] });
    expect(loginOf(session(null)).authTime).toBe(Math.floor(now.getTime() / 1000) - 60);
  });

  it('asks for mfa only when mfa is the one acceptable value, the client’s defaults standing in for none', () => {
    const base = { defaultAcrValues: undefined, essentialAcr: undefined, instance, now };
    expect(demandsMfa({ ...base, acrValues: [ACR_MFA] })).toBe(true);
    expect(demandsMfa({ ...base, acrValues: [ACR_MFA, ACR_PWD] })).toBe(false);
    expect(demandsMfa({ ...base, acrValues: undefined })).toBe(false);
    expect(demandsMfa({ ...base, acrValues: undefined, defaultAcrValues: [ACR_MFA] })).toBe(true);
    expect(demandsMfa({ ...base, acrValues: [ACR_PWD], defaultAcrValues: [ACR_MFA] })).toBe(false);
    expect(
      demandsMfa({
        ...base,
        acrValues: undefined,
        essentialAcr: essentialAcrOf(JSON.stringify({ id_token: { acr: { essential: true, value: ACR_MFA } } })),
      }),
    ).toBe(true);
    const enforcing = {
      ...instance,
      policy: { ...DEFAULT_POLICY, twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable: true, enforceSetup: true } },
    };
    expect(demandsMfa({ ...base, instance: enforcing, acrValues: undefined })).toBe(true);
  });

  it('judges: another instance’s or a half session needs a login; max_age and prompt=login the login’s own time; mfa a code or nothing', () => {
    expect(judgeSession(null, instance.id, { mfa: false }, now).kind).toBe('login');
    expect(judgeSession(session('totp', { instanceId: 'other' }), instance.id, { mfa: false }, now).kind).toBe('login');
    expect(judgeSession(session(null, { stage: 'verify' }), instance.id, { mfa: false }, now).kind).toBe('login');
    expect(judgeSession(session('totp'), instance.id, { mfa: false, maxAge: 59 }, now).kind).toBe('login');
    expect(judgeSession(session('totp'), instance.id, { mfa: false, maxAge: 60 }, now).kind).toBe('ok');
    expect(judgeSession(session('totp'), instance.id, { mfa: false, freshLogin: true }, now).kind).toBe('login');
    const asked = new Date(now.getTime() - 60_000);
    expect(judgeSession(session('totp'), instance.id, { mfa: false, loginAfter: asked }, now).kind).toBe('login');
    expect(
      judgeSession(session('totp', { createdAt: new Date(asked.getTime() + 1) }), instance.id, { mfa: false, loginAfter: asked }, now).kind,
    ).toBe('ok');
    expect(judgeSession(session(null), instance.id, { mfa: true }, now).kind).toBe('step_up');
    expect(judgeSession(session(null, { app: false }), instance.id, { mfa: true }, now).kind).toBe('unmet');
    expect(judgeSession(session('backup_code'), instance.id, { mfa: true }, now).kind).toBe('ok');
  });
});
