import type { Deps } from '../shared/deps.ts';
import type { ClientInfo } from '../session/start-session.ts';
import { newSession } from '../session/start-session.ts';
import { checkSecondFactor, consumeSecondFactor, type SecondFactorInput } from '../totp/check-code.ts';
import { issueKnownLocation, type IssuedDevice } from '../known-location/issue-known-location.ts';
import { userEvent } from '../audit/audit-event.ts';
import { loadSessionForStep } from './load-login-step.ts';
import { describeStep, stageAfterSecondFactor, type LoginStep } from './login-step.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { deviceLabel, networkOf } from '../known-location/known-location.ts';
import { newLocationMail } from '../mail/templates.ts';
import { helpFor } from '../support/support-contact.ts';
import { sealMail } from '../mail/seal-mail.ts';
import type { SealedMail } from '../mail/mail.ts';

/**
 * Login step 2 from a new location: a TOTP code or the backup code. One lookup, and on success
 * one statement that uses the factor up, swaps the session for a full one and clears the
 * second-factor counter. A TOTP code also makes this browser a known location; a backup code
 * does not (it is for recovery, not for trusting a device), and its replacement is emailed.
 */
export async function verifySecondFactor(
  deps: Deps,
  sessionToken: string | undefined,
  input: SecondFactorInput,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string; device: IssuedDevice | null }> {
  const active = await loadSessionForStep(deps, sessionToken, ['verify'], client.ip);
  const checked = await checkSecondFactor(deps, active, input, client, 'login');
  const now = deps.clock.now();
  const stage = stageAfterSecondFactor(active.instance, active.user, now);
  const next = newSession(deps, active.user.id, stage, client, now, checked.kind);
  const device = checked.kind === 'totp' ? issueKnownLocation(deps, active.instance, client) : null;
  const audit =
    stage === 'done'
      ? [userEvent(now, 'login.succeeded', active.instance.id, active.user, client, { factors: ['password', checked.kind] })]
      : [];
  const mails = checked.kind === 'totp' ? [newLocationNotice(deps, active, client, now)] : [];
  await consumeSecondFactor(
    deps,
    active,
    checked,
    { swap: { previousSessionId: active.session.id, next: next.row }, location: device?.row ?? null, audit, mails },
    client,
  );
  return { step: describeStep(deps, stage, active.instance, active.user, now), sessionToken: next.token, device };
}

/**
 * A login at `verify` comes from a browser that is not a known location (SPEC rule 5), so the
 * user is told when and from where it completed (CS-MFA "new device or location"). A backup-code
 * login needs no second mail: the replacement code's mail already says when and from where.
 */
function newLocationNotice(deps: Deps, active: ActiveSession, client: ClientInfo, now: Date): SealedMail {
  const mail = newLocationMail({
    to: active.user.email,
    name: active.user.name,
    instanceName: active.instance.name,
    at: now,
    ip: client.ip,
    network: networkOf(client.ip),
    device: deviceLabel(client.userAgent),
    help: helpFor(active.user.role, deps.supportContact),
  });
  return sealMail(deps.secretBox, mail);
}
