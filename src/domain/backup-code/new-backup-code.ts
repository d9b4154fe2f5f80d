import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { checkSecondFactor, consumeSecondFactor, type SecondFactorInput } from '../totp/check-code.ts';
import { isFresh } from '../totp/two-factor.ts';
import { userEvent } from '../audit/audit-event.ts';
import { issueBackupCode } from './issue-backup-code.ts';

/**
 * "Send me a new backup code": the old code stops working and a new one is emailed. Sensitive
 * (SPEC rule 12): needs a code verified in the last 10 minutes, or a current code in the request.
 * Generating a new code does not reset the failure counter (NIST SP 800-63B §3.1.3.2).
 */
export async function sendNewBackupCode(
  deps: Deps,
  sessionToken: string | undefined,
  input: Partial<{ code: string }>,
  client: { ip: string | null; userAgent: string | null },
): Promise<void> {
  const active = await loadSessionForStep(deps, sessionToken, ['done'], client.ip);
  if (!active.totp) throw new DomainError('forbidden', 'Set up an authenticator app first: backup codes come with it.');
  if (!isFresh(active.session, deps.clock.now())) {
    if (input.code === undefined)
      throw new DomainError('step_up_required', 'Confirm with a current code from your authenticator app first.');
    const factor: SecondFactorInput = { code: input.code };
    await consumeSecondFactor(deps, active, await checkSecondFactor(deps, active, factor, client, 'new_backup_code'), {}, client);
  }
  const next = issueBackupCode(deps, active.user, active.instance, 'replaced', client);
  await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(active.instance.id);
    // Behind the user's row lock: a reset or a disable committed meanwhile removed the app, and a
    // backup code must not come back without it (SPEC glossary: one active code per user with an associated app).
    await tenant.users.lockById(active.user.id);
    const account = await tenant.users.findAccount(active.user.id);
    if (!account?.totp) throw new DomainError('forbidden', 'Set up an authenticator app first: backup codes come with it.');
    const now = deps.clock.now();
    await tenant.twoFactor.replaceBackupCode(active.user.id, next.mac, now);
    await stores.outbox.enqueue(active.instance.id, next.mail, now);
    await stores.audit.record([userEvent(now, 'backup_code.replaced', active.instance.id, active.user, client)]);
  });
  deps.mailQueued();
}
