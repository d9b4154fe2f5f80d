import { groupKey, matchTotpStep, newTotpSecret, otpauthUri, toBase32 } from '../../crypto/totp.ts';
import { constantTimeEqual, sha256Hex } from '../../crypto/hash.ts';
import { SESSION_TOUCH_SECONDS } from '../session/session.ts';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import { emailKey } from '../account/user.ts';
import { normalizePassword } from '../account/password-rules.ts';
import { admitToHasher, reserveAttempt } from '../throttle/check-throttle.ts';
import { deviceKey, ipKey, operatorPasswordKey, operatorSecondFactorKey, type ThrottleKey } from '../throttle/throttle.ts';
import { findKnownLocation } from '../known-location/known-location.ts';
import { newOperatorDevice, OPERATOR_DEVICE_SECONDS, type OperatorDevice } from './operator-device.ts';
import { attemptFailed, type FailureOwner } from '../throttle/record-failure.ts';
import { PENDING_SETUP_SECONDS, STEP_UP_SECONDS } from '../totp/two-factor.ts';
import { operatorActor, type AuditAction, type AuditClient, type NewAuditEvent } from '../audit/audit-event.ts';
import type { TotpSetup } from '../totp/start-totp-setup.ts';
import { secondFactorFailedMail } from '../mail/templates.ts';
import type { ActiveOperatorSession, NewOperatorSession, Operator, OperatorStage } from './operator-store.ts';
import { newOperatorToken, OPERATOR_IDLE_SECONDS, operatorSessionLifetimeSeconds, parseOperatorToken } from './operator-session.ts';
import type { IssuedToken } from '../session/start-session.ts';

/** A support login step's answer (SPEC §3: as /auth/login and /auth/verify). */
export type OperatorStep = { next: 'done' } | { next: 'verify'; methods: ['totp'] } | { next: 'setup'; canPostpone: false };

export interface OperatorClient extends AuditClient {
  /** The cookie value the client holds now, if any: it is ended, never upgraded. */
  previousToken: string | undefined;
  /** Device cookies the browser presented (an operator's device token shares their shape). */
  deviceTokens: Array<{ id: string; secret: string }>;
}

const describe = (stage: OperatorStage): OperatorStep =>
  stage === 'done' ? { next: 'done' } : stage === 'verify' ? { next: 'verify', methods: ['totp'] } : { next: 'setup', canPostpone: false };

/** The sealed secret is bound to its operator (AES-GCM associated data), like a user's. */
const operatorSecretData = (operatorId: string) => `totp:operator:${operatorId}`;

/** The operator's own events belong to no instance; the log keeps them for the vendor. */
function operatorEvent(deps: Deps, action: AuditAction, operator: Operator, client: AuditClient, details: Record<string, unknown> = {}): NewAuditEvent {
  return {
    instanceId: null,
    at: deps.clock.now(),
    action,
    actor: operatorActor(operator),
    target: null,
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    details,
  };
}

function newOperatorSession(deps: Deps, operatorId: string, stage: OperatorStage, client: AuditClient, secondFactorAt: Date | null, endsBy?: Date) {
  const token = newOperatorToken();
  const now = deps.clock.now();
  const lifetime = operatorSessionLifetimeSeconds(stage);
  let expiresAt = addSeconds(now, lifetime);
  if (endsBy && endsBy.getTime() < expiresAt.getTime()) expiresAt = endsBy;
  const row: NewOperatorSession = {
    id: token.id,
    secretHash: token.secretHash,
    operatorId,
    stage,
    createdAt: now,
    expiresAt,
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    secondFactorAt,
  };
  return { token: token.token, row };
}

function previousOf(token: string | undefined): { id: string; secretHash: string } | null {
  const parsed = parseOperatorToken(token);
  return parsed ? { id: parsed.id, secretHash: sha256Hex(parsed.secret) } : null;
}

/** After a refused operator attempt: the one failure path (IP count, audit, lock mail) with the operator as owner. */
async function operatorAttemptFailed(
  deps: Deps,
  attempt: number,
  client: AuditClient,
  operator: Operator | null,
  factor: 'password' | 'second_factor',
  action: 'support.login_failed' | 'step_up.failed' = 'support.login_failed',
  replayed = false,
): Promise<void> {
  const placeName = 'the keyward support console';
  const owner: FailureOwner | null = operator && {
    to: operator,
    placeName,
    instanceId: null,
    factor,
    failure: operatorEvent(deps, action, operator, client, { factor: factor === 'password' ? 'password' : 'totp', ...(replayed ? { reason: 'replayed' } : {}) }),
    locked: (details) => operatorEvent(deps, 'support.locked', operator, client, details),
    // As for users (RL-10): a wrong code after the operator's correct password is mailed once.
    ...(factor === 'second_factor' && action === 'support.login_failed'
      ? { firstFailureMail: secondFactorFailedMail({ to: operator.email, name: operator.name, instanceName: placeName, at: deps.clock.now(), ip: client.ip }) }
      : {}),
  };
  await attemptFailed(deps, attempt, client, owner);
}

/**
 * POST /support/login. The same answer and the same argon2id work for unknown operators as for
 * a wrong password (RL-06); the same per-account and per-IP lockout as every login (rule 11).
 * A correct password never yields a full session: the next step is the code, or at the first
 * login the setup of an authenticator app (2FA is always required for operators).
 */
export async function loginOperator(deps: Deps, input: { email: string; password: string }, client: OperatorClient): Promise<{ step: OperatorStep; token: string }> {
  const now = deps.clock.now();
  const accountKey = operatorPasswordKey(emailKey(input.email));
  const slot = admitToHasher(deps, client.ip);
  const { lookup, key, attempt } = await lookUpAndReserveOperator(deps, emailKey(input.email), accountKey, client, now).catch((error: unknown) => {
    deps.hasher.release(slot);
    throw error;
  });
  const password = normalizePassword(input.password);
  const found = lookup.operator;
  const ok = found ? await deps.hasher.verify(found.passwordHash, password, slot) : (await deps.hasher.verifyDummy(password, slot), false);
  if (!found || !ok) {
    await operatorAttemptFailed(deps, attempt, client, found, 'password');
    throw new DomainError('invalid_credentials', 'The email or password is not correct.');
  }
  const stage: OperatorStage = found.associated ? 'verify' : 'setup';
  const next = newOperatorSession(deps, found.id, stage, client, null);
  await deps.stores.operators.rotate(previousOf(client.previousToken), next.row, { clearKeys: [...new Set([accountKey, key]), ...(client.ip ? [ipKey(client.ip)] : [])], audit: [] });
  return { step: describe(stage), token: next.token };
}

/**
 * The operator login lookup, then the reserved attempt. As for users (login-with-password.ts): the
 * operator's own browser counts on its own key, so strangers' guesses at an operator's email do
 * not lock the operator out (issue 10 item 10).
 */
async function lookUpAndReserveOperator(deps: Deps, email: string, accountKey: ThrottleKey, client: OperatorClient, now: Date) {
  const deviceKeys = client.deviceTokens.map((t) => deviceKey(t.id));
  const lookup = await deps.stores.operators.findForLogin(email, [accountKey, ...(client.ip ? [ipKey(client.ip)] : []), ...deviceKeys], client.deviceTokens.map((t) => t.id), now);
  const device = lookup.operator ? findKnownLocation(client.deviceTokens, lookup.devices, '', false) : null;
  const key = device ? deviceKey(device.id) : accountKey;
  return { lookup, key, attempt: await reserveAttempt(deps, key, lookup.throttles, client.ip, now) };
}

/** The operator session behind a cookie value, or null (one statement). */
export async function authenticateOperator(deps: Deps, token: string | undefined, ip: string | null = null): Promise<ActiveOperatorSession | null> {
  const parsed = parseOperatorToken(token);
  if (!parsed) return null;
  const now = deps.clock.now();
  const secretHash = sha256Hex(parsed.secret);
  const active = await deps.stores.operators.findSession(
    parsed.id,
    secretHash,
    { now, idleCutoff: addSeconds(now, -OPERATOR_IDLE_SECONDS), touchBefore: addSeconds(now, -SESSION_TOUCH_SECONDS) },
    ip ? ipKey(ip) : null,
  );
  if (!active || !constantTimeEqual(secretHash, active.secretHash)) return null;
  return active;
}

async function loadStep(deps: Deps, token: string | undefined, stages: OperatorStage[], ip: string | null): Promise<ActiveOperatorSession> {
  const active = await authenticateOperator(deps, token, ip);
  if (!active) throw new DomainError('unauthenticated', 'Your sign-in has expired. Log in again.');
  if (!stages.includes(active.session.stage)) throw new DomainError('forbidden', 'This step is not available now.');
  return active;
}

/**
 * Checks and uses a TOTP code for the operator, swapping the session for `stage` in the same
 * statement that records the step (replay-safe across processes).
 */
async function useCode(
  deps: Deps,
  active: ActiveOperatorSession,
  code: string,
  client: AuditClient,
  action: 'support.login_succeeded' | 'step_up.succeeded',
  heldDeviceIds: string[] = [],
): Promise<IssuedToken & { device: OperatorDevice | null }> {
  const now = deps.clock.now();
  const key = operatorSecondFactorKey(active.operator.id);
  const attempt = await reserveAttempt(deps, key, active.throttles, client.ip, now);
  const secret = active.totp ? deps.secretBox.open(active.totp.secretSealed, operatorSecretData(active.operator.id)) : null;
  const step = secret ? matchTotpStep(secret, code, now) : null;
  const refuse = async (replayed = false): Promise<never> => {
    await operatorAttemptFailed(deps, attempt, client, active.operator, 'second_factor', action === 'step_up.succeeded' ? 'step_up.failed' : 'support.login_failed', replayed);
    throw new DomainError('invalid_credentials', 'That code is not valid.', { field: 'code' });
  };
  if (step === null) return refuse();
  if (step <= active.totp!.lastUsedStep) return refuse(true);
  // A step-up keeps the session's absolute end: it re-proves a factor, it is not a new login.
  const next = newOperatorSession(deps, active.operator.id, 'done', client, now, action === 'step_up.succeeded' ? active.session.expiresAt : undefined);
  const audit = [operatorEvent(deps, action, active.operator, client, action === 'support.login_succeeded' ? { factors: ['password', 'totp'] } : { factor: 'totp' })];
  // After a 2FA login the browser gets a device token: it keeps this browser's password attempts
  // on their own throttle key (issue 10 item 10) and never skips the code (operators always give one).
  const device = action === 'support.login_succeeded' ? newOperatorDevice(now) : null;
  const used = await deps.stores.operators.consumeStep(
    active.operator.id,
    step,
    { previousId: active.session.id, next: next.row },
    { clearKeys: [key, ...(client.ip ? [ipKey(client.ip)] : [])], audit, ...(device ? { device: device.row, unlessHeld: heldDeviceIds } : {}) },
  );
  if (!used.used) return refuse(true);
  const issued = device && used.deviceStored ? { id: device.id, secret: device.secret, maxAgeSeconds: OPERATOR_DEVICE_SECONDS } : null;
  return { token: next.token, expiresAt: next.row.expiresAt, device: issued };
}

/** POST /support/verify: the code after the password. */
export async function verifyOperator(
  deps: Deps,
  token: string | undefined,
  code: string,
  client: AuditClient & { deviceIds: string[] },
): Promise<{ step: OperatorStep; token: string; device: OperatorDevice | null }> {
  const active = await loadStep(deps, token, ['verify'], client.ip);
  const used = await useCode(deps, active, code, client, 'support.login_succeeded', client.deviceIds);
  return { step: { next: 'done' }, token: used.token, device: used.device };
}

/** POST /support/step-up: a fresh code for the next 10 minutes of support actions (rule 12). */
export async function operatorStepUp(deps: Deps, token: string | undefined, code: string, client: AuditClient): Promise<IssuedToken> {
  const active = await loadStep(deps, token, ['done'], client.ip);
  const { token: next, expiresAt } = await useCode(deps, active, code, client, 'step_up.succeeded');
  return { token: next, expiresAt };
}

/**
 * POST /auth/setup for an operator at their first login: a fresh 160-bit secret kept sealed on
 * the session until confirmed. Only from the `setup` stage: an operator with an app never
 * replaces it from a session (a stolen password must not be able to enrol another app).
 */
export async function startOperatorSetup(deps: Deps, token: string | undefined): Promise<TotpSetup> {
  const active = await loadStep(deps, token, ['setup'], null);
  const secret = newTotpSecret();
  await deps.stores.operators.setPendingTotp(active.session.id, {
    secretSealed: deps.secretBox.seal(secret, operatorSecretData(active.operator.id)),
    expiresAt: addSeconds(deps.clock.now(), PENDING_SETUP_SECONDS),
  });
  const base32 = toBase32(secret);
  return { secret: base32, secretGrouped: groupKey(base32), otpauthUri: otpauthUri(secret, `${deps.totpIssuer} support`, active.operator.email) };
}

/** POST /auth/setup/confirm for an operator: one valid code confirms the app and gives a full session. */
export async function confirmOperatorSetup(
  deps: Deps,
  token: string | undefined,
  code: string,
  client: AuditClient,
): Promise<{ step: OperatorStep; token: string; device: OperatorDevice }> {
  const active = await loadStep(deps, token, ['setup'], null);
  const now = deps.clock.now();
  const pending = active.session.pendingTotp;
  if (!pending || pending.expiresAt.getTime() <= now.getTime()) {
    throw new DomainError('conflict', 'Start the setup again: no setup is waiting for confirmation.', { field: 'code' });
  }
  const secret = deps.secretBox.open(pending.secretSealed, operatorSecretData(active.operator.id));
  const step = secret ? matchTotpStep(secret, code, now) : null;
  if (step === null) throw new DomainError('invalid_credentials', 'That code does not match. Enter the current code from your app.', { field: 'code' });
  const next = newOperatorSession(deps, active.operator.id, 'done', client, now);
  const audit = [
    operatorEvent(deps, 'two_factor.set_up', active.operator, client, { replaced: false }),
    operatorEvent(deps, 'support.login_succeeded', active.operator, client, { factors: ['password', 'totp'], newAuthenticator: true }),
  ];
  // The first 2FA login gives the browser its device token too (see useCode).
  const device = newOperatorDevice(now);
  if (!(await deps.stores.operators.confirmTotp(active.operator.id, pending.secretSealed, step, { previousId: active.session.id, next: next.row }, audit, device.row))) {
    throw new DomainError('conflict', 'An authenticator app is already set up for this operator.');
  }
  return { step: { next: 'done' }, token: next.token, device: { id: device.id, secret: device.secret, maxAgeSeconds: OPERATOR_DEVICE_SECONDS } };
}

export async function logoutOperator(deps: Deps, token: string | undefined): Promise<void> {
  const parsed = parseOperatorToken(token);
  if (parsed) await deps.stores.operators.deleteSession(parsed.id, sha256Hex(parsed.secret));
}

/** A full operator session, for every support route. */
export async function requireOperator(deps: Deps, token: string | undefined): Promise<ActiveOperatorSession> {
  const active = await authenticateOperator(deps, token);
  if (!active || active.session.stage !== 'done') throw new DomainError('unauthenticated', 'Log in to the support console first.');
  return active;
}

/** Support actions need a code verified in the last 10 minutes (SPEC rule 12). */
export function requireFreshOperatorCode(deps: Deps, active: ActiveOperatorSession): void {
  if (!stepUpUntil(deps, active, deps.clock.now())) {
    throw new DomainError('step_up_required', 'Confirm with a current code from your authenticator app first.');
  }
}

/** Until when the session counts as freshly verified, or null. */
export function stepUpUntil(deps: Pick<Deps, 'supportStepUpSeconds'>, active: ActiveOperatorSession, now: Date): Date | null {
  const at = active.session.secondFactorAt;
  if (!at) return null;
  const until = addSeconds(at, Math.min(deps.supportStepUpSeconds ?? STEP_UP_SECONDS, STEP_UP_SECONDS));
  return until.getTime() > now.getTime() ? until : null;
}
