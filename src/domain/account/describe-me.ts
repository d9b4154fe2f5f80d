import type { ActiveSession } from '../session/session-store.ts';

export type TwoFactorStatus = 'active' | 'pending' | 'off';

export interface TwoFactorState {
  enabled: boolean;
  associated: boolean;
  status: TwoFactorStatus;
  enforced: boolean;
}

/** SPEC §1: active = enabled and associated; pending = enabled, no app yet; off = not enabled. */
export function twoFactorStatus(enabled: boolean, associated: boolean): TwoFactorStatus {
  if (!enabled) return 'off';
  return associated ? 'active' : 'pending';
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: string;
  instance: { slug: string; name: string; plan: string };
  twoFactor: TwoFactorState;
  passwordExpiresAt: string | null;
}

export function describeTwoFactor(enabled: boolean, associated: boolean): TwoFactorState {
  // enforced: set by the instance policy, which arrives with the Enterprise password policy.
  return { enabled, associated, status: twoFactorStatus(enabled, associated), enforced: false };
}

/** GET /me from the already-loaded session: no further query (one statement per request). */
export function describeMe({ user, instance, totp }: ActiveSession): Me {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    instance: { slug: instance.slug, name: instance.name, plan: instance.plan },
    twoFactor: describeTwoFactor(user.twoFactorEnabled, totp !== null),
    passwordExpiresAt: null,
  };
}
