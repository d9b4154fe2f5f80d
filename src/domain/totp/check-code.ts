import { normalizeBackupCode } from '../../crypto/backup-code.ts';
import { DomainError, WRONG_BACKUP_CODE, WRONG_CODE } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { ipKey, secondFactorKey } from '../throttle/throttle.ts';
import { reserveAttempt } from '../throttle/check-throttle.ts';
import { attemptFailed, userOwner } from '../throttle/record-failure.ts';
import { issueBackupCode } from '../backup-code/issue-backup-code.ts';
import { secondFactorFailedMail } from '../mail/templates.ts';
import type { NewKnownLocation, SessionSwap } from './two-factor-store.ts';
import type { SealedMail } from '../mail/mail.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { matchCode, type MatchedCode } from '../auth/match-code.ts';
import { attemptActor, userEvent, type AuditClient, type NewAuditEvent } from '../audit/audit-event.ts';

/** A second factor as the API takes it: a TOTP code or the emailed backup code. */
export type SecondFactorInput = { code: string } | { backupCode: string };

/**
 * What a second factor is being checked for: a login step, or a sensitive action of a full
 * session (step-up, turning 2FA off, a new backup code, a password set with a link). The audit
 * log says which.
 */
export type FactorUse = 'login' | 'step_up' | 'disable' | 'new_backup_code' | 'password_reset' | 'set_up_app';

/** A factor that passed the check; `attempt` is its reserved attempt on the second-factor key. */
export type CheckedFactor = ({ kind: 'totp'; code: MatchedCode } | { kind: 'backup_code'; mac: string }) & {
  attempt: number;
  use: FactorUse;
};

/** Whose factor is checked: what a session lookup (or an account lookup) provides. */
export type SecondFactorSubject = Pick<ActiveSession, 'user' | 'instance' | 'totp' | 'backupCodeMac' | 'throttles'>;

/**
 * Checks a second factor for the session's user. Refused unevaluated while locked; a wrong code,
 * a TOTP code from a step already used (RFC 6238 §5.2) or a wrong backup code counts as a failure
 * of the one second-factor counter (BC-05). What it returns must then be consumed atomically.
 */
export async function checkSecondFactor(
  deps: Deps,
  active: SecondFactorSubject,
  input: SecondFactorInput,
  client: AuditClient,
  use: FactorUse,
): Promise<CheckedFactor> {
  const now = deps.clock.now();
  const action = use === 'login' || use === 'password_reset' ? 'code' : 'step_up';
  const attempt = await reserveAttempt(deps, secondFactorKey(active.user.id), active.throttles, client.ip, now, undefined, action);
  if ('backupCode' in input) {
    const code = normalizeBackupCode(input.backupCode);
    const mac = active.backupCodeMac;
    if (!code || !mac || !deps.secretBox.macMatches(code, mac))
      return codeRefused(deps, active, client, { attempt, use, kind: 'backup_code' });
    return { kind: 'backup_code', mac, attempt, use };
  }
  const match = matchCode(
    deps,
    USER_PROFILE,
    { instanceId: active.instance.id, id: active.user.id, email: active.user.email },
    active.totp,
    input.code,
  );
  if (match.step === null)
    return codeRefused(deps, active, client, { attempt, use, kind: 'totp', ...(match.replayed ? { replayed: true } : {}) });
  return { kind: 'totp', code: match, attempt, use };
}

/**
 * Uses up a checked factor with its effects in one statement: a TOTP step is recorded; a backup
 * code is replaced by a new one whose mail (when and from where the old one was used) is queued.
 * A concurrent request that used it first makes this a refused code.
 */
export async function consumeSecondFactor(
  deps: Deps,
  active: SecondFactorSubject,
  checked: CheckedFactor,
  effects: { swap?: SessionSwap; location?: NewKnownLocation | null; audit?: NewAuditEvent[]; mails?: SealedMail[] },
  client: AuditClient,
): Promise<void> {
  const twoFactor = deps.stores.forInstance(active.instance.id).twoFactor;
  const now = deps.clock.now();
  const clearKeys = [secondFactorKey(active.user.id), ...(client.ip ? [ipKey(client.ip)] : [])];
  const audit = [...(effects.audit ?? [])];
  if (checked.kind === 'backup_code')
    audit.push(userEvent(now, 'backup_code.used', active.instance.id, active.user, client, { during: checked.use, replaced: true }));
  const consumed =
    checked.kind === 'totp'
      ? await twoFactor.consumeStep(active.user.id, checked.code, { ...effects, audit, clearKeys, now })
      : await twoFactor.consumeBackupCode(
          active.user.id,
          checked.mac,
          issueBackupCode(deps, active.user, active.instance, 'used', client),
          {
            ...(effects.swap ? { swap: effects.swap } : {}),
            audit,
            clearKeys,
            now,
          },
        );
  // Not consumed: another request used this step or code first; for a TOTP code, a replay.
  if (!consumed) await codeRefused(deps, active, client, { ...checked, replayed: checked.kind === 'totp' });
  if (checked.kind === 'backup_code' || (effects.mails?.length ?? 0) > 0) deps.mailQueued();
}

/**
 * Counts a refused code (its attempt is already reserved), writes it to the audit log and throws
 * the one answer every refused code gets.
 */
export async function codeRefused(
  deps: Deps,
  active: Pick<ActiveSession, 'user' | 'instance'>,
  client: AuditClient,
  refused: { attempt: number; use: FactorUse; kind: 'totp' | 'backup_code'; replayed?: boolean },
): Promise<never> {
  const now = deps.clock.now();
  const failure = userEvent(
    now,
    refused.use === 'login' ? 'login.failed' : 'step_up.failed',
    active.instance.id,
    active.user,
    client,
    // A code from a step already used is logged as a replay (RFC 6238 §5.2, NIST SP 800-63B-4
    // §3.1.4.2 "duplicate use of an OTP"): still one failure on the counter, but told apart.
    { factor: refused.kind, during: refused.use, ...(refused.replayed ? { reason: 'replayed' } : {}) },
    refused.use === 'login' || refused.use === 'password_reset' ? attemptActor(active.user) : undefined,
  );
  const owner = userOwner(active.user, active.instance, 'second_factor', failure, client);
  if (refused.use === 'login') {
    owner.firstFailureMail = secondFactorFailedMail({
      to: active.user.email,
      name: active.user.name,
      instanceName: active.instance.name,
      at: now,
      ip: client.ip,
    });
  }
  await attemptFailed(deps, refused.attempt, client, owner);
  throw new DomainError('invalid_credentials', refused.kind === 'backup_code' ? WRONG_BACKUP_CODE : WRONG_CODE, { field: 'code' });
}
