/**
 * keyward's throttle (SPEC rule 11's model) at an instance's token, introspection and revocation
 * endpoints: failed client authentications per client id and per client address (spraying many
 * client ids from one network). What else fails there (a wrong code, an expired refresh token)
 * is no guess at a credential the server cannot make unguessable: codes and tokens are 256 random
 * bits, bound to an authenticated client or to PKCE.
 * Why (RFC 6749 §10.10: the server MUST prevent guessing of codes, tokens and client credentials;
 * OWASP ASVS 5.0 V6.3.1): an attempt is reserved before the provider evaluates it, on the client's
 * key and the address's in one statement as at login, so a parallel burst cannot be evaluated in
 * full; a success gives both back.
 */
import type { Deps } from '../shared/deps.ts';
import {
  IP_POLICY,
  OIDC_CLIENT_POLICY,
  ipKey,
  oidcClientKey,
  retryAfterSeconds,
  type ThrottleKey,
  type ThrottlePolicy,
} from '../throttle/throttle.ts';

/** A reserved attempt: the keys it counts on. */
export interface TokenAttempt {
  client: ThrottleKey | null;
  address: ThrottleKey | null;
}

/** Refused before evaluation: a locked client id, or a locked client address. */
export interface TokenRefusal {
  refused: 'client_locked' | 'address_locked';
  retryAfterSeconds: number;
}

/** How the provider answered: the client authenticated (whatever the answer then was), or not. */
export type TokenOutcome = 'authenticated' | 'client_failed';

async function waitFor(deps: Deps, key: ThrottleKey, policy: ThrottlePolicy, now: Date): Promise<number> {
  const wait = retryAfterSeconds((await deps.stores.throttles.find([key])).get(key) ?? null, now, policy);
  return wait > 0 ? wait : policy.baseLockSeconds;
}

/**
 * Reserves one attempt on the client id's key (when the request names one in its Basic
 * credentials) and the address's, in one statement; refused when either is locked.
 */
export async function reserveTokenRequest(
  deps: Deps,
  instanceSlug: string,
  clientId: string | null,
  ip: string | null,
): Promise<TokenAttempt | TokenRefusal> {
  const now = deps.clock.now();
  const client = clientId ? oidcClientKey(instanceSlug, clientId) : null;
  const address = ip ? ipKey(ip) : null;
  if (client) {
    const result = await deps.stores.throttles.reserve(
      client,
      OIDC_CLIENT_POLICY,
      now,
      address ? { key: address, policy: IP_POLICY } : undefined,
    );
    if (result === 'ip_locked') return { refused: 'address_locked', retryAfterSeconds: await waitFor(deps, address!, IP_POLICY, now) };
    if (result === 'locked') return { refused: 'client_locked', retryAfterSeconds: await waitFor(deps, client, OIDC_CLIENT_POLICY, now) };
  } else if (address) {
    const result = await deps.stores.throttles.reserve(address, IP_POLICY, now);
    if (result === 'locked' || result === 'ip_locked')
      return { refused: 'address_locked', retryAfterSeconds: await waitFor(deps, address, IP_POLICY, now) };
  }
  return { client, address };
}

/**
 * After the provider answered: a client that authenticated clears its key and gives the address
 * its attempt back (one statement); a failed client authentication keeps both counted (none).
 */
export async function tokenRequestDone(deps: Deps, attempt: TokenAttempt, outcome: TokenOutcome): Promise<void> {
  if (outcome === 'client_failed') return;
  const present = [attempt.client, attempt.address].filter((key): key is ThrottleKey => key !== null);
  if (present.length > 0) await deps.stores.throttles.clear(present);
}
