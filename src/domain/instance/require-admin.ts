import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { isFresh } from '../totp/two-factor.ts';
import { isTwoFactorEnabled } from '../policy/two-factor-rules.ts';
import { isMachine, requireScope, type AdminCaller } from '../oidc/machine-access.ts';
import type { MachineScope } from '../oidc/oidc-client.ts';

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

/**
 * An admin route a machine client may also call: an administrator (with a fresh code for
 * `change`, as requireAdmin), or a machine token holding `scope`.
 *
 * Why no step-up for a machine (SPEC rule 12 asks a human session that skipped the code for a
 * fresh one): step-up answers "is the person at this browser still the one who logged in?" for a
 * session that may be hours old and left open. A machine token is minutes old (10 at most), was
 * issued for a 256-bit client secret checked at the token endpoint, and carries no ambient
 * credential a page could ride on; there is no second factor a machine could present, and the
 * scope, which an administrator granted, is its authorisation (RFC 6749 §4.4, OAuth 2.0 for
 * first-party machine access). The routes that hand a user's account over (a 2FA reset, a
 * recovery code) take no scope at all: they stay humans' with step-up.
 */
export function requireAdminAccess(deps: Deps, caller: AdminCaller, scope: MachineScope, change: boolean): void {
  if (isMachine(caller)) return requireScope(caller, scope);
  if (change) requireAdmin(deps, caller);
  else requireAdminRole(caller);
}
