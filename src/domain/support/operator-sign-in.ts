import { DomainError, WRONG_CODE } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import { emailKey } from '../account/user.ts';
import { reserveAttempt } from '../throttle/check-throttle.ts';
import { ipKey } from '../throttle/throttle.ts';
import { newDeviceToken } from '../known-location/known-location.ts';
import { attemptFailed, type FailureOwner } from '../throttle/record-failure.ts';
import { operatorActor, type AuditAction, type AuditClient, type NewAuditEvent, recordedClient } from '../audit/audit-event.ts';
import { secondFactorFailedMail } from '../mail/templates.ts';
import { OPERATOR_PROFILE } from '../auth/profile.ts';
import { endSession, findSession, requireStage } from '../auth/find-session.ts';
import { newAuthSession } from '../auth/new-session.ts';
import { passwordStep } from '../auth/password-step.ts';
import { matchCode, matchEnrolmentCode, pendingEnrolment, type TotpSetup } from '../auth/match-code.ts';
import { parseAuthToken, stepUpUntil } from '../auth/session-rules.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import type { ActiveOperatorSession, NewOperatorSession, Operator, OperatorStage } from './operator-store.ts';

/**
 * The support console's login, through the one kernel (domain/auth/) with the operator's profile:
 * 2FA always, a known device never skips the code, 10-minute steps and 2-hour sessions.
 */
const PROFILE = OPERATOR_PROFILE;
/** How long an operator's browser keeps its device token (it only keys the password throttle). */
export const OPERATOR_DEVICE_SECONDS = 30 * 24 * 60 * 60;

/** A support login step's answer (SPEC §3: as /auth/login and /auth/verify). */
export type OperatorStep = { next: 'done' } | { next: 'verify'; methods: ['totp'] } | { next: 'setup'; canPostpone: false };

/** A device cookie to set: its id, secret and lifetime. */
export interface OperatorDevice {
  id: string;
  secret: string;
  maxAgeSeconds: number;
}

export interface OperatorClient extends AuditClient {
  /** The cookie value the client holds now, if any: it is ended, never upgraded. */
  previousToken: string | undefined;
  /** Device cookies the browser presented (an operator's device token shares their shape). */
  deviceTokens: Array<{ id: string; secret: string }>;
}

const describe = (stage: OperatorStage): OperatorStep =>
  stage === 'done' ? { next: 'done' } : stage === 'verify' ? { next: 'verify', methods: ['totp'] } : { next: 'setup', canPostpone: false };

const owner = (operator: Operator) => ({ instanceId: null, id: operator.id, email: operator.email });

/** The operator's own events belong to no instance; the log keeps them for the vendor. */
function operatorEvent(
  deps: Deps,
  action: AuditAction,
  operator: Operator,
  client: AuditClient,
  details: Record<string, unknown> = {},
): NewAuditEvent {
  return {
    instanceId: null,
    at: deps.clock.now(),
    action,
    actor: operatorActor(operator),
    target: null,
    ...recordedClient(client),
    details,
  };
}

function newOperatorSession(
  deps: Deps,
  operatorId: string,
  stage: OperatorStage,
  client: AuditClient,
  verifiedAt: Date | null,
  keepEnd?: Date,
) {
  const next = newAuthSession(deps, PROFILE, stage, client, verifiedAt ? { at: verifiedAt, kind: 'totp' } : null, keepEnd);
  const row: NewOperatorSession = { ...next.row, operatorId };
  return { token: next.token, row };
}

function newOperatorDevice(now: Date) {
  const token = newDeviceToken();
  return {
    cookie: { id: token.id, secret: token.secret, maxAgeSeconds: OPERATOR_DEVICE_SECONDS },
    row: { id: token.id, secretHash: token.secretHash, expiresAt: addSeconds(now, OPERATOR_DEVICE_SECONDS) },
  };
}

/** After a refused operator attempt: the one failure path (IP count, audit, lock mail) with the operator as owner. */
async function operatorAttemptFailed(
  deps: Deps,
  attempt: number,
  client: AuditClient,
  operator: Operator | null,
  factor: 'password' | 'second_factor',
  stepUp = false,
  replayed = false,
) {
  const placeName = 'the keyward support console';
  const action = stepUp ? 'step_up.failed' : 'support.login_failed';
  const failureOwner: FailureOwner | null = operator && {
    to: operator,
    placeName,
    instanceId: null,
    factor,
    failure: operatorEvent(deps, action, operator, client, {
      factor: factor === 'password' ? 'password' : 'totp',
      ...(replayed ? { reason: 'replayed' } : {}),
    }),
    locked: (details) => operatorEvent(deps, 'support.locked', operator, client, details),
    // As for users (RL-10): a wrong code after the operator's correct password is mailed once.
    ...(factor === 'second_factor' && !stepUp
      ? {
          firstFailureMail: secondFactorFailedMail({
            to: operator.email,
            name: operator.name,
            instanceName: placeName,
            at: deps.clock.now(),
            ip: client.ip,
          }),
        }
      : {}),
  };
  await attemptFailed(deps, attempt, client, failureOwner);
}

/**
 * POST /support/login: the kernel's password step (the same answer and argon2id work for unknown
 * operators as for a wrong password, RL-06; rule 11's lockout). A correct password never yields
 * a full session: the next step is the code, or at the first login the setup of an app.
 */
export async function loginOperator(
  deps: Deps,
  input: { email: string; password: string },
  client: OperatorClient,
): Promise<{ step: OperatorStep; token: string }> {
  const key = emailKey(input.email);
  const { lookup, attempt, passwordOk, clearKeys } = await passwordStep(
    deps,
    PROFILE.keys.password('', key),
    input.password,
    client,
    async (query) => {
      const found = await deps.stores.operators.findForLogin(key, query.throttleKeys, query.deviceIds, query.now);
      return {
        found: found.operator !== null,
        passwordHash: found.operator?.passwordHash ?? null,
        throttles: found.throttles,
        devices: found.devices,
        operator: found.operator,
      };
    },
  );
  const operator = lookup.operator;
  if (!operator || !passwordOk) {
    await operatorAttemptFailed(deps, attempt, client, operator, 'password');
    throw new DomainError('invalid_credentials', 'The email or password is not correct.');
  }
  // Operators: 2FA is always required and a known device never skips it (PROFILE.knownLocationSkipsCode).
  const stage: OperatorStage = operator.associated ? 'verify' : 'setup';
  const next = newOperatorSession(deps, operator.id, stage, client, null);
  const previous = parseAuthToken(PROFILE, client.previousToken);
  await deps.stores.operatorSessions.rotate(previous && { id: previous.id, secretHash: sha256Hex(previous.secret) }, next.row, {
    clearKeys,
    audit: [],
  });
  return { step: describe(stage), token: next.token };
}

/** The operator session behind a cookie value, or null (one statement). */
export function authenticateOperator(
  deps: Deps,
  token: string | undefined,
  ip: string | null = null,
): Promise<ActiveOperatorSession | null> {
  return findSession(deps, PROFILE, deps.stores.operatorSessions, token, { ipKey: ip ? ipKey(ip) : null });
}

/**
 * Checks and uses a TOTP code for the operator, swapping the session in the same statement that
 * records the step (replay-safe across processes). After a login the browser gets a device
 * token: it keeps this browser's password attempts on their own key (issue 10 item 10).
 */
async function useCode(
  deps: Deps,
  active: ActiveOperatorSession,
  code: string,
  client: AuditClient,
  stepUp: boolean,
  heldDeviceIds: string[] = [],
) {
  const now = deps.clock.now();
  const key = PROFILE.keys.secondFactor(active.operator.id);
  const attempt = await reserveAttempt(deps, key, active.throttles, client.ip, now, undefined, stepUp ? 'step_up' : 'code');
  const refuse = async (replayed: boolean): Promise<never> => {
    await operatorAttemptFailed(deps, attempt, client, active.operator, 'second_factor', stepUp, replayed);
    throw new DomainError('invalid_credentials', WRONG_CODE, { field: 'code' });
  };
  const match = matchCode(deps, PROFILE, owner(active.operator), active.totp, code);
  if (match.step === null) return refuse(match.replayed);
  const next = newOperatorSession(deps, active.operator.id, 'done', client, now, stepUp ? active.session.expiresAt : undefined);
  const audit = [
    operatorEvent(
      deps,
      stepUp ? 'step_up.succeeded' : 'support.login_succeeded',
      active.operator,
      client,
      stepUp ? { factor: 'totp' } : { factors: ['password', 'totp'] },
    ),
  ];
  const device = stepUp ? null : newOperatorDevice(now);
  const used = await deps.stores.operatorSessions.consumeStep(
    active.operator.id,
    match,
    { previousId: active.session.id, next: next.row },
    {
      clearKeys: [key, ...(client.ip ? [ipKey(client.ip)] : [])],
      audit,
      ...(device ? { device: device.row, unlessHeld: heldDeviceIds } : {}),
    },
  );
  if (!used.used) return refuse(true);
  return { token: next.token, expiresAt: next.row.expiresAt, device: device && used.deviceStored ? device.cookie : null };
}

/** POST /support/verify: the code after the password. */
export async function verifyOperator(deps: Deps, token: string | undefined, code: string, client: AuditClient & { deviceIds: string[] }) {
  const active = requireStage(await authenticateOperator(deps, token, client.ip), ['verify']);
  const used = await useCode(deps, active, code, client, false, client.deviceIds);
  return { step: describe('done'), token: used.token, device: used.device };
}

/** POST /support/step-up: a fresh code for the next 10 minutes of support actions (rule 12). */
export async function operatorStepUp(
  deps: Deps,
  token: string | undefined,
  code: string,
  client: AuditClient,
): Promise<{ token: string; expiresAt: Date }> {
  const active = requireStage(await authenticateOperator(deps, token, client.ip), ['done']);
  const { token: next, expiresAt } = await useCode(deps, active, code, client, true);
  return { token: next, expiresAt };
}

/**
 * POST /auth/setup for an operator at their first login. Only from the `setup` stage: an operator
 * with an app never replaces it from a session (a stolen password must not enrol another app).
 */
export async function startOperatorSetup(deps: Deps, token: string | undefined): Promise<TotpSetup> {
  const active = requireStage(await authenticateOperator(deps, token), ['setup']);
  const keep = (candidate: { secretSealed: string; expiresAt: Date }, now: Date) =>
    deps.stores.operatorSessions.keepPendingTotp(active.session.id, candidate, now);
  return pendingEnrolment(deps, PROFILE, owner(active.operator), keep, null);
}

/** POST /auth/setup/confirm for an operator: one valid code confirms the app and gives a full session. */
export async function confirmOperatorSetup(deps: Deps, token: string | undefined, code: string, client: AuditClient) {
  const active = requireStage(await authenticateOperator(deps, token), ['setup']);
  const { step, secretSealed } = matchEnrolmentCode(deps, PROFILE, owner(active.operator), active.session.pendingTotp, code);
  const now = deps.clock.now();
  const next = newOperatorSession(deps, active.operator.id, 'done', client, now);
  const audit = [
    operatorEvent(deps, 'two_factor.set_up', active.operator, client, { replaced: false }),
    operatorEvent(deps, 'support.login_succeeded', active.operator, client, { factors: ['password', 'totp'], newAuthenticator: true }),
  ];
  const device = newOperatorDevice(now);
  if (
    !(await deps.stores.operatorSessions.confirmEnrolment(
      active.operator.id,
      secretSealed,
      step,
      { previousId: active.session.id, next: next.row },
      audit,
      device.row,
    ))
  ) {
    // The session that started the setup ended meanwhile (a CLI reset), or an app is already bound.
    throw new DomainError('conflict', 'An authenticator app is already set up for this operator, or this sign-in has ended.');
  }
  return { step: describe('done'), token: next.token, device: device.cookie };
}

export async function logoutOperator(deps: Deps, token: string | undefined): Promise<void> {
  await endSession(PROFILE, deps.stores.operatorSessions, token);
}

/** A full operator session, for every support route. */
export async function requireOperator(deps: Deps, token: string | undefined): Promise<ActiveOperatorSession> {
  const active = await authenticateOperator(deps, token);
  if (!active || active.session.stage !== 'done') throw new DomainError('unauthenticated', 'Log in to the support console first.');
  return active;
}

/** Support actions need a code verified in the last 10 minutes (SPEC rule 12): the kernel's one step-up rule. */
export function requireFreshOperatorCode(deps: Deps, active: ActiveOperatorSession): void {
  if (!operatorStepUpUntil(deps, active))
    throw new DomainError('step_up_required', 'Confirm with a current code from your authenticator app first.');
}

/** Until when the session counts as freshly verified, or null. */
export function operatorStepUpUntil(deps: Pick<Deps, 'supportStepUpSeconds' | 'clock'>, active: ActiveOperatorSession): Date | null {
  return stepUpUntil(PROFILE, active.session, deps.clock.now(), deps.supportStepUpSeconds);
}
