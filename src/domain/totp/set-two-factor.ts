import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { describeTwoFactor, type TwoFactorState } from '../account/describe-me.ts';
import { checkSecondFactor, codeRefused, consumeSecondFactor } from './check-code.ts';
import { isFresh } from './two-factor.ts';
import { secondFactorKey } from '../throttle/throttle.ts';
import { userEvent } from '../audit/audit-event.ts';
import { twoFactorOffMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';

/**
 * The My Profile switch (SPEC rule 4). On: the next login asks for setup. Off, with an app
 * associated: only with a current code or the backup code (a step-up in itself), and it removes
 * the app, the backup code and the user's known locations.
 */
export async function setTwoFactor(
  deps: Deps,
  sessionToken: string | undefined,
  input: { enabled: boolean; code?: string; backupCode?: string },
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
  let usingBackupMac: string | undefined;
  let attempt = 0;
  if (active.totp) {
    const factor = input.code !== undefined ? { code: input.code } : input.backupCode !== undefined ? { backupCode: input.backupCode } : null;
    // A code verified in the last 10 minutes (step-up) is enough; otherwise one comes with the request.
    if (!factor && !isFresh(active.session.secondFactorAt, deps.clock.now())) {
      throw new DomainError('step_up_required', 'Enter a current code to turn two-factor authentication off.', { field: 'code' });
    }
  }
  if (active.totp && (input.code !== undefined || input.backupCode !== undefined)) {
    const factor = input.code !== undefined ? { code: input.code } : { backupCode: input.backupCode! };
    const checked = await checkSecondFactor(deps, active, factor, client, 'disable');
    attempt = checked.attempt;
    // A TOTP step is used up here; a backup code is used up by deleting exactly it below.
    if (checked.kind === 'totp') await consumeSecondFactor(deps, active, checked, {}, client);
    else usingBackupMac = checked.mac;
  }
  const audit = active.user.twoFactorEnabled ? [userEvent(deps.clock.now(), 'two_factor.disabled', active.instance.id, active.user, client, { hadApp: active.totp !== null })] : [];
  if (usingBackupMac) audit.push(userEvent(deps.clock.now(), 'backup_code.used', active.instance.id, active.user, client, { during: 'disable', replaced: false }));
  // A backup code is used up, and its success clears the counter, in the statement that turns 2FA off.
  const usingBackup = usingBackupMac ? { mac: usingBackupMac, clearKeys: [secondFactorKey(active.user.id)] } : undefined;
  if (!(await twoFactor.disable(active.user.id, audit, usingBackup))) await codeRefused(deps, active, client, { attempt, use: 'disable', kind: 'backup_code' });
  if (active.totp) {
    // OTP-13: removing a factor is announced to the owner, in case it was not them.
    const now = deps.clock.now();
    const mail = twoFactorOffMail({ to: active.user.email, name: active.user.name, instanceName: active.instance.name, at: now, ip: client.ip });
    await deps.stores.outbox.enqueue(active.instance.id, sealMail(deps.secretBox, mail), now);
    deps.mailQueued();
  }
  return describeTwoFactor(policy, { twoFactorEnabled: false }, false);
}
