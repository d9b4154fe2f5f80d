import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { describeTwoFactor, type TwoFactorState } from '../account/describe-me.ts';
import { userEvent, type AuditClient } from '../audit/audit-event.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { twoFactorOffMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { proveFactorChange, type FactorChangeProof } from './reauthenticate.ts';

/**
 * The My Profile switch (SPEC rule 4). On: the next login asks for setup. Off, with an app
 * associated: only with the current password and a current code from the app in the request (a
 * backup code is refused), and it removes the app, the backup code, the user's known locations
 * and every other session of the user.
 */
export async function setTwoFactor(
  deps: Deps,
  sessionToken: string | undefined,
  input: { enabled: boolean } & FactorChangeProof,
  client: { ip: string | null; userAgent: string | null },
): Promise<TwoFactorState> {
  const active = await loadSessionForStep(deps, sessionToken, ['done'], client.ip);
  const policy = active.instance.policy;
  if (input.enabled) {
    if (!active.user.twoFactorEnabled) await turnOn(deps, active, client);
    return describeTwoFactor(policy, { twoFactorEnabled: true }, active.totp !== null);
  }
  if (policy.twoFactor.autoEnable) {
    throw new DomainError('forbidden', 'Your organisation turns two-factor authentication on for everyone.');
  }
  // Without an app there is no factor to remove: the switch alone turns the pending setup off.
  if (active.totp) await proveFactorChange(deps, active, input, client, 'disable');
  await turnOff(deps, active, client);
  if (active.totp) deps.mailQueued();
  return describeTwoFactor(policy, { twoFactorEnabled: false }, false);
}

/** 2FA on, with its audit event; the next login asks for setup. */
async function turnOn(deps: Deps, active: ActiveSession, client: AuditClient): Promise<void> {
  const { user, instance } = active;
  await deps.stores.transaction(async (stores) => {
    await stores.forInstance(instance.id).twoFactor.setEnabled(user.id, true);
    await stores.audit.record([userEvent(deps.clock.now(), 'two_factor.enabled', instance.id, user, client)]);
  });
}

/**
 * 2FA off: the app, the backup code, the known locations and every other session of the user go,
 * in one transaction behind the user's row lock. Why every other session, and why the lock:
 * removing a factor is a credential event (SES-07, ASVS 5.0 7.4.3; issue 10 item 17), and a
 * session that survived it, or an enrolment confirmed meanwhile, would keep what the owner just
 * removed.
 */
async function turnOff(deps: Deps, active: ActiveSession, client: AuditClient): Promise<void> {
  const { user, instance, session } = active;
  await deps.stores.transaction(async (stores) => {
    const tenant = stores.forInstance(instance.id);
    if (!(await tenant.users.lockById(user.id))) return;
    await tenant.twoFactor.deleteBackupCode(user.id);
    await tenant.twoFactor.deleteAuthenticator(user.id);
    await tenant.knownLocations.deleteAllForUser(user.id);
    await tenant.sessions.deleteForUser(user.id, session.id);
    await tenant.twoFactor.setEnabled(user.id, false);
    const now = deps.clock.now();
    if (user.twoFactorEnabled)
      await stores.audit.record([userEvent(now, 'two_factor.disabled', instance.id, user, client, { hadApp: active.totp !== null })]);
    if (active.totp) {
      // OTP-13: removing a factor is announced to the owner, in case it was not them.
      const mail = twoFactorOffMail({ to: user.email, name: user.name, instanceName: instance.name, at: now, ip: client.ip });
      await stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), now);
    }
  });
}
