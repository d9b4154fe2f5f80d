import { recordedClient } from '../audit/audit-event.ts';
import type { Deps } from '../shared/deps.ts';
import type { PrincipalProfile } from './profile.ts';
import { newAuthToken, sessionEndsAt } from './session-rules.ts';

/** A new session row of either principal, without its owner's column. */
export interface NewAuthSession<Stage extends string = string> {
  id: string;
  secretHash: string;
  stage: Stage;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: Date | null;
  /** Which factor `secondFactorAt` is about; null with none. */
  secondFactorKind: 'totp' | 'backup_code' | null;
}

/** What a new session records of its client (the user agent cut to 512 characters). */
export interface SessionClient {
  ip: string | null;
  userAgent: string | null;
}

/**
 * A new session row and its cookie token. Why always a new id: a session id known before a
 * privilege change must be worthless after it (session fixation, ASVS 7.2.4, SPEC rule 12).
 * `keepEnd`: a step-up keeps the replaced session's absolute end (session-rules.ts sessionEndsAt).
 */
export function newAuthSession<Stage extends string>(
  deps: Pick<Deps, 'clock'>,
  profile: PrincipalProfile,
  stage: Stage,
  client: SessionClient,
  secondFactor: { at: Date; kind: 'totp' | 'backup_code' } | null,
  keepEnd?: Date,
): { token: string; row: NewAuthSession<Stage> } {
  const token = newAuthToken(profile);
  const now = deps.clock.now();
  return {
    token: token.token,
    row: {
      id: token.id,
      secretHash: token.secretHash,
      stage,
      lastSeenAt: now,
      expiresAt: sessionEndsAt(profile, stage, now, keepEnd),
      ...recordedClient(client),
      secondFactorAt: secondFactor?.at ?? null,
      secondFactorKind: secondFactor?.kind ?? null,
    },
  };
}
