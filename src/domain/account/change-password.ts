import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { newSession, type ClientInfo } from '../session/start-session.ts';
import { describeStep, type LoginStep } from '../login/login-step.ts';
import { requireFreshSecondFactor } from '../instance/require-admin.ts';
import { POLICY_LIMITS } from '../policy/policy.ts';
import { passwordChangedMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { checkPasswordForAccount, isReusedPassword, minPasswordLength } from './password-rules.ts';
import { verifyCurrentPassword } from './verify-current-password.ts';
import { userEvent } from '../audit/audit-event.ts';
import type { TenantStores } from '../shared/stores.ts';

/**
 * POST /auth/password: the forced change of an expired password at login (SPEC rule 10), or a
 * voluntary change from a full session (which, with 2FA active, needs a fresh code: rule 12).
 * Needs the current password (counted on this session's re-authentication key), refuses the policy's last N
 * passwords, and ends every other session and known location. The user is told by email.
 */
export async function changePassword(
  deps: Deps,
  sessionToken: string | undefined,
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string }> {
  const active = await loadSessionForStep(deps, sessionToken, ['change_password', 'done'], client.ip);
  const { user, instance, session } = active;
  if (session.stage === 'done') requireFreshSecondFactor(deps, active);
  const now = deps.clock.now();
  const policy = instance.policy.password;
  const during = session.stage === 'done' ? 'password_change' : 'login';
  const hashes = await verifyCurrentPassword(deps, active, input.currentPassword, client, during, policy.historyCount);
  const next = checkPasswordForAccount(input.newPassword, {
    minLength: minPasswordLength(instance.policy, { user, associated: active.totp !== null }, now),
    blocklist: deps.blocklist,
    context: [user.email, user.email.split('@')[0]!, user.name, instance.slug, instance.name],
  });
  if (await isReusedPassword(deps.hasher, [hashes.current, ...hashes.previous], next)) {
    throw new DomainError(
      'password_reused',
      policy.historyCount > 0
        ? `Choose a password other than your last ${policy.historyCount + 1}.`
        : 'Choose a password other than your current one.',
      {
        field: 'newPassword',
      },
    );
  }
  const newHash = await deps.hasher.hash(next);
  const fresh = newSession(deps, user.id, 'done', client, session.secondFactorAt, session.secondFactorKind);
  const audit = [userEvent(now, 'password.changed', instance.id, user, client, { expired: session.stage === 'change_password' })];
  if (session.stage === 'change_password') {
    const factors = session.secondFactorAt ? ['password', 'second_factor'] : ['password'];
    audit.push(userEvent(now, 'login.succeeded', instance.id, user, client, { factors, passwordChanged: true }));
  }
  await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(instance.id);
    await tenant.users.lockById(user.id);
    // Only while the session that asked still exists, behind the lock: a reset or another change
    // that ended it meanwhile wins, and this one changes nothing. It gets a new id (SES-03).
    if (!(await tenant.sessions.rotate({ id: session.id, secretHash: active.secretHash }, fresh.row, { requirePrevious: true }))) {
      throw new DomainError('unauthenticated', 'Your sign-in has ended. Log in again.');
    }
    await tenant.passwords.replace(user.id, newHash, now, POLICY_LIMITS.historyCount.max);
    await signOutEverywhere(tenant, user.id, fresh.row.id);
    await stores.audit.record(audit);
    await stores.outbox.enqueue(
      instance.id,
      sealMail(
        deps.secretBox,
        passwordChangedMail({ to: user.email, name: user.name, instanceName: instance.name, at: now, ip: client.ip }),
      ),
      now,
    );
  });
  deps.mailQueued();
  return { step: describeStep(deps, 'done', instance, user, now), sessionToken: fresh.token };
}

/**
 * What a new password ends, inside the caller's transaction: every session of the user but
 * `keepSessionId`, every known location, and every unused reset link, invitation and recovery
 * code. Why: SPEC rule 12 (a password change ends the other sessions and locations), and a link
 * waiting in the mailbox must not outlive the password it was meant to replace (issue 10 item 13;
 * checklist REC-02: "invalidated by … password change").
 */
export async function signOutEverywhere(tenant: TenantStores, userId: string, keepSessionId?: string): Promise<void> {
  await tenant.sessions.deleteForUser(userId, keepSessionId);
  await tenant.knownLocations.deleteAllForUser(userId);
  await tenant.accountTokens.deleteUnusedForUser(userId);
}
