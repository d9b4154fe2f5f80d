/**
 * Logout as the provider sees it (docs/oidc.md "Logout"): the keyward session is the session of
 * record, so a logout a relying party asks for ends it too.
 */
import type { Deps } from '../shared/deps.ts';
import { authenticate, logout } from '../session/authenticate.ts';
import type { AuditClient } from '../audit/audit-event.ts';

/**
 * RP-initiated logout, confirmed by the user at the instance's logout page (OpenID Connect
 * RP-Initiated Logout 1.0 §2: the OP logs the End-User out): ends the browser's keyward session
 * when it belongs to this instance, through the same logout as `POST /api/v1/auth/logout` (recorded as `session.logged_out` with the client's id). Why
 * only this instance's: one browser holds one keyward session for any instance, and another
 * instance's provider has no say over it (TEN-02). True when a session ended.
 */
export async function endSessionAtRpLogout(
  deps: Deps,
  instanceId: string,
  token: string | undefined,
  request: { client: AuditClient; clientId: string | null; clientName: string | null },
): Promise<boolean> {
  const active = await authenticate(deps, token);
  if (!active || active.instance.id !== instanceId) return false;
  const via = request.clientId
    ? ({ via: 'application', clientId: request.clientId, clientName: request.clientName } as const)
    : ({ via: 'keyward' } as const);
  await logout(deps, token, request.client, via);
  return true;
}
