import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { isFresh } from '../totp/two-factor.ts';
import { isTwoFactorEnabled } from '../policy/two-factor-rules.ts';

/**
 * Admin actions: the admin role, and, for an admin whose session skipped the code (known
 * location), a fresh code first (SPEC rule 12 step-up).
 */
export function requireAdmin(deps: Deps, active: ActiveSession): void {
  requireAdminRole(active);
  requireFreshSecondFactor(deps, active);
}

/** Reading admin pages needs the role only; changing things needs requireAdmin. */
export function requireAdminRole(active: ActiveSession): void {
  if (active.user.role !== 'admin') throw new DomainError('forbidden', 'Only administrators can do this.');
}

/**
 * With 2FA active, sensitive actions need a code verified in the last 10 minutes. Active means
 * enabled by the user or by the instance's auto-enable, with an app: the policy's switch counts too.
 */
export function requireFreshSecondFactor(deps: Deps, active: ActiveSession): void {
  const twoFactorActive = isTwoFactorEnabled(active.instance.policy, active.user) && active.totp !== null;
  if (twoFactorActive && !isFresh(active.session, deps.clock.now())) {
    throw new DomainError('step_up_required', 'Confirm with a current code from your authenticator app first.');
  }
}
