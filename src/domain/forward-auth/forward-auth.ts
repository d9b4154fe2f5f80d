/**
 * The proxy's question (SPEC §7, docs/forward-auth.md): may this browser open this URL of this
 * protected application? One statement finds the application by host, its forward session by
 * cookie and the keyward session it is bound to; the rest is the pure judgement below.
 */
import { sha256Hex, constantTimeEqual } from '../../crypto/hash.ts';
import { parseIdSecretToken } from '../../crypto/token.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { lookupTimes } from '../auth/session-rules.ts';
import { loginOf } from '../oidc/oidc-login.ts';
import { underCurrentPolicy } from '../session/authenticate.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { Deps } from '../shared/deps.ts';
import type { HostApp } from './forward-session-store.ts';
import { requirementFor } from './protected-app.ts';

/** Who the request is from, as the identity headers and Remote-Jwt state it. */
export interface ForwardIdentity {
  userId: string;
  email: string;
  name: string;
  role: 'admin' | 'member';
  instanceSlug: string;
  instanceId: string;
  acr: string;
  amr: string[];
  authTime: number;
}

/**
 * `allow` (2xx with the identity); `sign_in` (no live session here: the browser signs in);
 * `step_up` (an `mfa` path and no code in this session: the browser signs in asking for mfa);
 * `forbidden` (signed in, not allowed: an `admin` path and a member); `unknown_host`.
 */
export type ForwardVerdict =
  | { kind: 'allow'; app: HostApp; identity: ForwardIdentity }
  | { kind: 'sign_in'; app: HostApp }
  | { kind: 'step_up'; app: HostApp }
  | { kind: 'forbidden'; app: HostApp }
  | { kind: 'unknown_host' };

function identityOf(active: ActiveSession): ForwardIdentity {
  const login = loginOf(active);
  return {
    userId: active.user.id,
    email: active.user.email,
    name: active.user.name,
    role: active.user.role,
    instanceSlug: active.instance.slug,
    instanceId: active.instance.id,
    acr: login.acr,
    amr: login.amr,
    authTime: login.authTime,
  };
}

/** A cookie's value as the lookup takes it: the id and the secret's SHA-256; null when malformed. */
function tokenOf(value: string | undefined): { id: string; secretHash: string } | null {
  const parsed = parseIdSecretToken(value);
  return parsed ? { id: parsed.id, secretHash: sha256Hex(parsed.secret) } : null;
}

/**
 * The verdict on a request for `path` of the application at `host`, with the forward cookies'
 * values (`host`: the host-only cookie, `domain`: the parent-domain cookie; absent: none). The
 * application reads one of them (its cookie domain decides which). One statement.
 */
export async function judgeForwardRequest(
  deps: Deps,
  host: string,
  path: string,
  cookies: { host?: string | undefined; domain?: string | undefined },
): Promise<ForwardVerdict> {
  const tokens = { host: tokenOf(cookies.host), domain: tokenOf(cookies.domain) };
  const now = deps.clock.now();
  const found = await deps.stores.forwardAuth.lookup(host, tokens, lookupTimes(USER_PROFILE, now));
  if (!found) return { kind: 'unknown_host' };
  const { app, forward } = found;
  const secretHash = (app.cookieDomain === null ? tokens.host : tokens.domain)?.secretHash;
  // As authenticate(): the hash compared in constant time, and the instance's current policy
  // applied, so a session held at 2FA setup opens nothing here either (SES-05, OWASP ASVS 5.0 V7.2.3).
  if (!forward || !secretHash || !constantTimeEqual(secretHash, forward.secretHash)) return { kind: 'sign_in', app };
  const active = underCurrentPolicy(forward.active, now);
  // Why the instance is compared although the host picked it: a forward session is bound to one
  // application of one instance, and nothing of another may ever pass (TEN-02).
  if (active.session.stage !== 'done' || active.instance.id !== app.instanceId) return { kind: 'sign_in', app };
  const identity = identityOf(active);
  const requirement = requirementFor(app.rules, path);
  // `mfa`: a second factor in this session (amr mfa: a code, or the emailed backup code), NIST SP
  // 800-63B-4 AAL2; a known location's password-only session is AAL1 and is sent to step up.
  if (requirement === 'mfa' && !identity.amr.includes('mfa')) return { kind: 'step_up', app };
  if (requirement === 'admin' && identity.role !== 'admin') return { kind: 'forbidden', app };
  return { kind: 'allow', app, identity };
}
