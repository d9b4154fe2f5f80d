import type { Deps } from '../shared/deps.ts';
import type { ClientInfo } from '../session/start-session.ts';
import { newSession } from '../session/start-session.ts';
import { checkSecondFactor, consumeSecondFactor, type SecondFactorInput } from '../totp/check-code.ts';
import { issueKnownLocation, type IssuedDevice } from '../known-location/issue-known-location.ts';
import { userEvent } from '../audit/audit-event.ts';
import { loadSessionForStep } from './load-login-step.ts';
import { describeStep, stageAfterSecondFactor, type LoginStep } from './login-step.ts';

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
  const audit = stage === 'done' ? [userEvent(now, 'login.succeeded', active.instance.id, active.user, client, { factors: ['password', checked.kind] })] : [];
  await consumeSecondFactor(deps, active, checked, { swap: { previousSessionId: active.session.id, next: next.row }, location: device?.row ?? null, audit }, client);
  return { step: describeStep(stage, active.instance, active.user, now), sessionToken: next.token, device };
}
