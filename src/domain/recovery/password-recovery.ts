import { randomBytes } from 'node:crypto';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import { adminRecoveryMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { newLink, recoveryCodeHash, resetNeedsAdministrator } from '../account/password-links.ts';

/** How long an administrator's recovery code (and the link mailed with it) lives. */
export const RECOVERY_SECONDS = 24 * 60 * 60;

/** 32 letters and digits that cannot be misread over the phone (no 0, 1, I, O). */
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const CODE_LENGTH = 16;

/** 16 characters of 5 bits: 80 bits, shown as ABCD-EFGH-JKLM-NPQR. */
function newRecoveryCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31]!).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/**
 * POST /admin/users/{id}/password-recovery (issue 10 item 3). A user whose 2FA is enabled but who
 * has no app, and who forgot the password, gets a reset link by mail that works only with this
 * one-time code, which the administrator hands over in person or by phone. Why two channels:
 * the mailbox alone must not reach setup (SPEC rule 13), and the administrator alone (or a stolen
 * admin session) must not choose the user's password or factor (checklist ADM-04). The code is
 * returned once, never mailed or logged, and stored only as its SHA-256; a new one replaces the old.
 */
export async function startPasswordRecovery(
  deps: Deps,
  active: ActiveSession,
  userId: string,
  client: AuditClient,
): Promise<{ code: string; expiresAt: Date }> {
  // Rule 12: an admin action, so the role and, for a session that skipped the code, a step-up.
  requireAdmin(deps, active);
  if (userId === active.user.id)
    throw new DomainError(
      'cannot_reset_self',
      'Administrators cannot start a recovery of their own account. Ask another administrator or support.',
    );
  const now = deps.clock.now();
  const expiresAt = addSeconds(now, RECOVERY_SECONDS);
  const code = newRecoveryCode();
  const link = newLink(deps, 'reset', active.instance.slug);
  await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(active.instance.id);
    // The caller's role and the user's state as they are behind the locks (administrators first,
    // in the order manage-users.ts takes them, then the user), as in an administrator's 2FA reset:
    // a demotion, or an enrolment that made the recovery unneeded, committed meanwhile wins.
    if (!(await tenant.users.lockActiveAdmins()).includes(active.user.id))
      throw new DomainError('forbidden', 'Only administrators can do this.');
    const account = (await tenant.users.lockById(userId)) && (await tenant.users.findAccount(userId));
    if (!account) throw new DomainError('not_found', 'No such user in this instance.');
    const { user, instance } = account;
    if (user.status !== 'active' || !resetNeedsAdministrator(instance.policy, user, account.totp !== null)) {
      throw new DomainError(
        'recovery_not_needed',
        'This user can reset their password by email, or log in. A recovery code is only for an active user whose two-factor authentication has no app.',
      );
    }
    // issue() replaces the user's earlier unused code and link: only the newest pair works.
    await stores.accountTokens.issue(user.id, 'recovery', recoveryCodeHash(code), now, expiresAt);
    await stores.accountTokens.issue(user.id, 'reset', link.hash, now, expiresAt);
    const mail = adminRecoveryMail({
      to: user.email,
      name: user.name,
      instanceName: instance.name,
      url: link.url,
      adminName: active.user.name,
      at: now,
      expiresAt,
    });
    await stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), now);
    await stores.audit.record([
      adminEvent(deps, active, 'password.recovery_started', user, client, { expiresAt: expiresAt.toISOString() }),
    ]);
  });
  deps.mailQueued();
  return { code, expiresAt };
}
