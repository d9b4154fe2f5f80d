import type { ActiveSession } from '../session/session-store.ts';
import type { PasswordPolicy } from '../policy/policy.ts';
import type { Role, User } from './user.ts';
import type { SecondFactorKind } from '../session/session.ts';
import {
  effectiveTwoFactorStatus,
  isTwoFactorEnabled,
  passwordExpiresAt,
  passwordWarningFrom,
  twoFactorStatus,
  type TwoFactorStatus,
} from '../policy/two-factor-rules.ts';
import { minPasswordLength } from './password-rules.ts';

export { twoFactorStatus, type TwoFactorStatus };

export interface TwoFactorState {
  enabled: boolean;
  associated: boolean;
  status: TwoFactorStatus;
  enforced: boolean;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  instance: { slug: string; name: string; plan: string };
  twoFactor: TwoFactorState;
  passwordExpiresAt: string | null;
  /** When the UI starts warning of the expiry (SPEC rule 10: warnDays before it); null without rotation. */
  passwordWarningFrom: string | null;
  /**
   * The second factor this session verified: after a backup code, the UI says how to get a new
   * phone set up (an administrator's reset) instead of offering factor changes that are refused.
   */
  secondFactor: SecondFactorKind | null;
  /** The effective minimum length of this user's next password (item 18: 15 when the password is the single factor). */
  passwordMinLength: number;
}

/** `enforced`: the instance auto-enables 2FA, so the user cannot turn it off (SPEC rule 2). */
export function describeTwoFactor(policy: PasswordPolicy, user: Pick<User, 'twoFactorEnabled'>, associated: boolean): TwoFactorState {
  const enabled = isTwoFactorEnabled(policy, user);
  return {
    enabled,
    associated,
    status: effectiveTwoFactorStatus(policy, { enabled: user.twoFactorEnabled, associated }),
    enforced: policy.twoFactor.autoEnable,
  };
}

/** GET /me from the already-loaded session: no further query (one statement per request). */
export function describeMe({ session, user, instance, totp }: ActiveSession, now: Date): Me {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    instance: { slug: instance.slug, name: instance.name, plan: instance.plan },
    twoFactor: describeTwoFactor(instance.policy, user, totp !== null),
    passwordExpiresAt: passwordExpiresAt(instance.policy, user.passwordChangedAt)?.toISOString() ?? null,
    passwordWarningFrom: passwordWarningFrom(instance.policy, user.passwordChangedAt)?.toISOString() ?? null,
    secondFactor: session.secondFactorKind,
    passwordMinLength: minPasswordLength(instance.policy, { user, associated: totp !== null }, now),
  };
}
