import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import { newSessionToken, SESSION_ABSOLUTE_SECONDS, type LoginStage } from './session.ts';
import type { TenantStores } from '../shared/stores.ts';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** The id of the session the client holds now, if any: it is ended, never upgraded. */
  previousSessionId: string | null;
}

/**
 * Issues a new session for a user at `stage`. Why always a new id: a session id known before a
 * privilege change must be worthless after it (session fixation, ASVS 7.2.4, SPEC rule 12).
 */
export async function startSession(
  deps: Deps,
  tenant: TenantStores,
  userId: string,
  stage: LoginStage,
  client: ClientInfo,
): Promise<string> {
  const token = newSessionToken();
  const now = deps.clock.now();
  await tenant.sessions.rotate(client.previousSessionId, {
    id: token.id,
    secretHash: token.secretHash,
    userId,
    stage,
    lastSeenAt: now,
    expiresAt: addSeconds(now, SESSION_ABSOLUTE_SECONDS),
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  });
  return token.token;
}
