import type { LoginStage } from '../session/session.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { isPasswordExpired, isTwoFactorEnabled, setupDemand } from '../policy/two-factor-rules.ts';
import { instanceIssuer } from '../auth/issuer.ts';

/** The answer of every login step (SPEC §3). */
export type LoginStep =
  | { next: 'done' }
  | {
      next: 'verify';
      methods: Array<'totp' | 'backup_code'>;
      /** The issuer the authenticator app lists this account under ("Globex (keyward)"), for the code prompt. */
      issuer: string;
    }
  | { next: 'setup'; canPostpone: boolean; postponesLeft?: number; enforceFrom?: string }
  | { next: 'change_password' };

/**
 * What a stage looks like to the client; `setup` says whether it may be postponed and for how
 * long, `verify` which entry of the authenticator app to read (the instance it was set up for).
 */
export function describeStep(deps: { totpIssuer: string }, stage: LoginStage, instance: Instance, user: User, now: Date): LoginStep {
  switch (stage) {
    case 'done':
      return { next: 'done' };
    case 'verify':
      return { next: 'verify', methods: ['totp', 'backup_code'], issuer: instanceIssuer(deps, instance.name) };
    case 'setup':
      return { next: 'setup', ...setupDemand(instance.policy, user.setupPostponements, now) };
    case 'change_password':
      return { next: 'change_password' };
  }
}

/**
 * Where a correct password leads (SPEC rule 5): with 2FA active, a new location must give a code
 * and a known one need not; with 2FA enabled and no app yet, setup; then an expired password.
 */
export function stageAfterPassword(instance: Instance, user: User, associated: boolean, knownLocation: boolean, now: Date): LoginStage {
  if (!isTwoFactorEnabled(instance.policy, user)) return stageAfterSecondFactor(instance, user, now);
  if (!associated) return 'setup';
  return knownLocation ? stageAfterSecondFactor(instance, user, now) : 'verify';
}

/** SPEC rule 10: an expired password is changed after the second factor, before a full session. */
export function stageAfterSecondFactor(instance: Instance, user: User, now: Date): LoginStage {
  return isPasswordExpired(instance.policy, user.passwordChangedAt, now) ? 'change_password' : 'done';
}
