import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { authenticate } from '../session/authenticate.ts';
import { newSession, type ClientInfo } from '../session/start-session.ts';
import { issueKnownLocation, type IssuedDevice } from '../known-location/issue-known-location.ts';
import { describeStep, stageAfterSecondFactor, type LoginStep } from '../login/login-step.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { matchEnrolmentCode } from '../auth/match-code.ts';
import { userEvent } from '../audit/audit-event.ts';
import { issueBackupCode } from '../backup-code/issue-backup-code.ts';

/**
 * Confirms the enrolment this session started with one valid code (proof of possession). The
 * code's step counts as used, 2FA is on, the user's other sessions and known locations end, this
 * session gets a new id as a full session, and this browser becomes a known location.
 */
export async function confirmTotpSetup(
  deps: Deps,
  sessionToken: string | undefined,
  code: string,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string; device: IssuedDevice | null }> {
  const active = await authenticate(deps, sessionToken);
  if (!active) throw new DomainError('unauthenticated', 'Log in first.');
  const { session, user, instance } = active;
  if (session.stage !== 'setup' && session.stage !== 'done') throw new DomainError('forbidden', 'This step is not available now.');
  const { step, secretSealed } = matchEnrolmentCode(
    deps,
    USER_PROFILE,
    { instanceId: instance.id, id: user.id, email: user.email },
    session.pendingTotp,
    code,
  );
  const now = deps.clock.now();
  const stage = stageAfterSecondFactor(instance, user, now);
  const next = newSession(deps, user.id, stage, client, now, 'totp');
  const device = issueKnownLocation(deps, instance, client);
  // The backup code is generated and its mail queued in the same statement that confirms setup.
  const backup = issueBackupCode(deps, user, instance, 'issued', client);
  const audit = [userEvent(now, 'two_factor.set_up', instance.id, user, client, { replaced: active.totp !== null })];
  if (session.stage === 'setup' && stage === 'done')
    audit.push(userEvent(now, 'login.succeeded', instance.id, user, client, { factors: ['password', 'totp'], newAuthenticator: true }));
  const confirmed = await deps.stores
    .forInstance(instance.id)
    .twoFactor.confirmEnrolment(
      user.id,
      secretSealed,
      step,
      { previousSessionId: session.id, next: next.row },
      device?.row ?? null,
      backup,
      audit,
      now,
    );
  if (!confirmed) throw new DomainError('unauthenticated', 'Your sign-in has ended. Log in again.');
  deps.mailQueued();
  return { step: describeStep(deps, stage, instance, user, now), sessionToken: next.token, device };
}
