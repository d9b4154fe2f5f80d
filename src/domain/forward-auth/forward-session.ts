/**
 * Forward sessions: a browser's sign-in on a protected application's host, bound to the keyward
 * session it came from (docs/forward-auth.md). The token is `id.secret` with only SHA-256(secret)
 * stored, as every keyward session's (session-rules.ts).
 */
import { sha256Hex } from '../../crypto/hash.ts';
import { newIdSecretToken, parseIdSecretToken } from '../../crypto/token.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { lookupTimes } from '../auth/session-rules.ts';
import { recordedClient, type AuditClient } from '../audit/audit-event.ts';
import { storedStateId } from '../oidc/oidc-state-store.ts';
import type { Deps } from '../shared/deps.ts';
import type { HostApp } from './forward-session-store.ts';

/**
 * After the callback redeemed `code` (its ID token verified), the forward session for `host`,
 * bound to the keyward session the code was issued for: the cookie's value and when it ends (the
 * keyward session's end). null when that session is no longer a live full session.
 */
export async function openForwardSession(
  deps: Deps,
  app: HostApp,
  host: string,
  code: string,
): Promise<{ token: string; expiresAt: Date; userId: string; cookieDomain: string | null } | null> {
  const token = newIdSecretToken();
  const now = deps.clock.now();
  const opened = await deps.stores.forwardAuth.insertFromCode(
    app.instanceId,
    { id: token.id, secretHash: token.secretHash, appId: app.id, host, codeHash: storedStateId('AuthorizationCode', code), createdAt: now },
    lookupTimes(USER_PROFILE, now),
  );
  return opened && { token: token.token, ...opened };
}

/**
 * `/.keyward/logout`: ends the keyward session behind the forward cookie, so every application's
 * access and keyward's own sign-in end together (a logout anywhere is a logout everywhere: the
 * forward session is nothing without its keyward session). Each of the host's forward cookies
 * (host-only and parent-domain) is ended: a logout on one app of a domain ends all of them.
 * Unknown values are ignored.
 */
export async function logOutForward(deps: Deps, tokens: Array<string | undefined>, client: AuditClient): Promise<void> {
  const { now, idleCutoff } = lookupTimes(USER_PROFILE, deps.clock.now());
  for (const token of tokens) {
    const parsed = parseIdSecretToken(token);
    if (parsed)
      await deps.stores.forwardAuth.logOut(parsed.id, sha256Hex(parsed.secret), { at: now, idleCutoff, ...recordedClient(client) });
  }
}
