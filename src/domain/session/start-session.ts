import type { ThrottleKey } from '../throttle/throttle.ts';
import type { Deps } from '../shared/deps.ts';
import type { LoginStage, SecondFactorKind } from './session.ts';
import type { NewSession } from './session-store.ts';
import type { TenantStores } from '../shared/stores.ts';
import type { NewAuditEvent } from '../audit/audit-event.ts';
import { DomainError } from '../shared/errors.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { sessionLifetimeSeconds as lifetimeOf } from '../auth/session-rules.ts';
import { newAuthSession } from '../auth/new-session.ts';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /**
   * The session the client holds now, if any (its id and the hash of its secret): it is ended,
   * never upgraded. Both are needed, so a client knowing only an id cannot end someone's session.
   */
  previousSession: { id: string; secretHash: string } | null;
  /** Trusted-device tokens the browser presented (cookies), at most a handful. */
  deviceTokens: Array<{ id: string; secret: string }>;
}

/** How long a new session at `stage` lives: a login waiting at a step 15 minutes, a full session 12 hours. */
export function sessionLifetimeSeconds(stage: LoginStage): number {
  return lifetimeOf(USER_PROFILE, stage);
}

/** A token and when its session ends: the cookie carrying it must not outlive it (issue 10 item 21). */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/**
 * A new session row and its cookie token. Why always a new id: a session id known before a
 * privilege change must be worthless after it (session fixation, ASVS 7.2.4, SPEC rule 12).
 * A login waiting at a step lives 15 minutes; a full session 12 hours.
 */
export function newSession(
  deps: Deps,
  userId: string,
  stage: LoginStage,
  client: ClientInfo,
  secondFactorAt: Date | null,
  secondFactorKind: SecondFactorKind | null = null,
  keepEnd?: Date,
): { token: string; row: NewSession } {
  const verified = secondFactorAt ? { at: secondFactorAt, kind: secondFactorKind ?? 'totp' } : null;
  const next = newAuthSession(deps, USER_PROFILE, stage, client, verified, keepEnd);
  return { token: next.token, row: { ...next.row, userId, secondFactorKind: secondFactorAt ? secondFactorKind : null } };
}

/** Issues a new session for a user at `stage`, ending the client's previous one in the same statement. */
export async function startSession(
  deps: Deps,
  tenant: TenantStores,
  userId: string,
  stage: LoginStage,
  client: ClientInfo,
  effects: {
    secondFactorAt?: Date | null;
    clearKeys?: ThrottleKey[];
    touchLocationId?: string;
    audit?: NewAuditEvent[];
    requirePrevious?: boolean;
  } = {},
): Promise<string> {
  const { token, row } = newSession(deps, userId, stage, client, effects.secondFactorAt ?? null);
  if (!(await tenant.sessions.rotate(client.previousSession, row, effects))) {
    throw new DomainError('unauthenticated', 'Your sign-in has ended. Log in again.');
  }
  return token;
}
