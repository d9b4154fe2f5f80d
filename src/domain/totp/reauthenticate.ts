import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { AuditClient } from '../audit/audit-event.ts';
import { verifyCurrentPassword } from '../account/verify-current-password.ts';
import { checkSecondFactor, consumeSecondFactor, type FactorUse } from './check-code.ts';
import { refuseBackupCode } from './two-factor.ts';

/** What a request that changes a factor brings to prove its owner (optional fields of SPEC §3 bodies). */
export interface FactorChangeProof {
  currentPassword?: string | undefined;
  code?: string | undefined;
  backupCode?: string | undefined;
}

/**
 * Proof, in this very request, that the account's owner changes its factors: the current password
 * and, when an app is set up, a current code from it, used up (RFC 6238 §5.2). Why in the request
 * and not a fresh session: a stolen session cookie must not remove, replace or bind an
 * authenticator (SPEC rule 4; OWASP MFA cheat sheet, "do not rely solely on the active session";
 * checklist OTP-13; issue 10 item 5). Why never a backup code: binding or removing an
 * authenticator needs the strongest factor the account has (NIST SP 800-63B-4 §4.1.2.1); a
 * backup code is refused before anything is read or counted (issue 10 item 4).
 */
export async function proveFactorChange(
  deps: Deps,
  active: ActiveSession,
  proof: FactorChangeProof,
  client: AuditClient,
  use: FactorUse,
): Promise<void> {
  if (proof.backupCode !== undefined) throw refuseBackupCode();
  const needsCode = active.totp !== null;
  if (proof.currentPassword === undefined) throw missing('currentPassword', needsCode);
  if (needsCode && proof.code === undefined) throw missing('code', needsCode);
  await verifyCurrentPassword(deps, active, proof.currentPassword, client, use);
  if (needsCode)
    await consumeSecondFactor(deps, active, await checkSecondFactor(deps, active, { code: proof.code! }, client, use), {}, client);
}

function missing(field: 'currentPassword' | 'code', needsCode: boolean): DomainError {
  const what = needsCode ? 'your current password and a current code from your authenticator app' : 'your current password';
  return new DomainError('reauthentication_required', `Enter ${what} to change how you sign in.`, { field });
}
