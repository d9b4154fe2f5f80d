import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { describeTwoFactor, type TwoFactorState } from '../account/describe-me.ts';
import { userEvent } from '../audit/audit-event.ts';
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
  const twoFactor = deps.stores.forInstance(active.instance.id).twoFactor;
  const policy = active.instance.policy;
  if (input.enabled) {
    if (!active.user.twoFactorEnabled) await twoFactor.enable(active.user.id, [userEvent(deps.clock.now(), 'two_factor.enabled', active.instance.id, active.user, client)]);
    return describeTwoFactor(policy, { twoFactorEnabled: true }, active.totp !== null);
  }
  if (policy.twoFactor.autoEnable) {
    throw new DomainError('forbidden', 'Your organisation turns two-factor authentication on for everyone.');
  }
  // Without an app there is no factor to remove: the switch alone turns the pending setup off.
  if (active.totp) await proveFactorChange(deps, active, input, client, 'disable');
  const audit = active.user.twoFactorEnabled ? [userEvent(deps.clock.now(), 'two_factor.disabled', active.instance.id, active.user, client, { hadApp: active.totp !== null })] : [];
  await twoFactor.disable(active.user.id, audit, active.session.id);
  if (active.totp) {
    // OTP-13: removing a factor is announced to the owner, in case it was not them.
    const now = deps.clock.now();
    const mail = twoFactorOffMail({ to: active.user.email, name: active.user.name, instanceName: active.instance.name, at: now, ip: client.ip });
    await deps.stores.outbox.enqueue(active.instance.id, sealMail(deps.secretBox, mail), now);
    deps.mailQueued();
  }
  return describeTwoFactor(policy, { twoFactorEnabled: false }, false);
}
