/**
 * The identity headers of the proxy's answer (SPEC §7): all of them on every answer, empty when
 * unknown, so a proxy that copies them onto the upstream request always overwrites what the
 * client sent (no `Remote-User: admin` from the browser ever reaches the application), and
 * Remote-Jwt, which the application can verify with the instance's JWKS.
 */
import type { FastifyReply } from 'fastify';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import type { Deps } from '../../domain/shared/deps.ts';
import type { ForwardIdentity } from '../../domain/forward-auth/forward-auth.ts';
import type { HostApp } from '../../domain/forward-auth/forward-session-store.ts';
import { loadSigningKeys } from '../../domain/oidc/signing-keys.ts';
import { issuerFor, PROVIDER_REFRESH_SECONDS } from '../oidc/provider-registry.ts';
import { ROLE_CLAIM, INSTANCE_CLAIM } from '../../domain/oidc/oidc-account.ts';

export const IDENTITY_HEADERS = [
  'remote-user',
  'remote-email',
  'remote-name',
  'remote-groups',
  'remote-instance',
  'remote-amr',
  'remote-jwt',
] as const;

/** Remote-Jwt lives a minute: one request's worth, so a copied header is soon worthless. */
export const REMOTE_JWT_SECONDS = 60;

/**
 * A header value of text that may be any Unicode: printable ASCII as it is, every other character
 * (and `%`) percent-encoded as UTF-8 (RFC 3986 §2.1), so `decodeURIComponent` gives the text back.
 * Why not the raw UTF-8 bytes: Node refuses characters above U+00FF in a header (a 500), and
 * writes those below it as UTF-8 or Latin-1 depending on the first body write; an ASCII value
 * reaches every proxy and upstream the same (RFC 9110 §5.5: field values are ASCII in practice).
 * Remote-Jwt carries the exact values.
 */
const asciiHeader = (text: string) => text.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => encodeURIComponent(char));

/** Every identity header, empty: the answer of any refusal. */
export function clearIdentity(reply: FastifyReply): FastifyReply {
  for (const name of IDENTITY_HEADERS) reply.header(name, '');
  return reply;
}

/**
 * The instance's ES256 signing key, kept per instance for as long as a built provider keeps its
 * keys (PROVIDER_REFRESH_SECONDS): the proxy's question stays at one statement, and a rotation
 * reaches Remote-Jwt as it reaches ID tokens. The key is one the instance's JWKS publishes.
 */
export function remoteJwtSigner(deps: Deps, publicUrl: URL) {
  const keys = new Map<string, { loadedAt: number; key: Promise<{ kid: string; key: CryptoKey }> }>();
  const keyOf = (instanceId: string) => {
    const now = deps.clock.now().getTime();
    const cached = keys.get(instanceId);
    if (cached && now - cached.loadedAt < PROVIDER_REFRESH_SECONDS * 1000) return cached.key;
    const key = loadSigningKeys(deps, instanceId).then(async (jwks) => {
      const jwk = jwks.find((candidate) => candidate.alg === 'ES256')!;
      return { kid: jwk.kid, key: (await importJWK(jwk, 'ES256')) as CryptoKey };
    });
    keys.set(instanceId, { loadedAt: now, key });
    key.catch(() => keys.get(instanceId)?.key === key && keys.delete(instanceId));
    if (keys.size > 1000) keys.delete(keys.keys().next().value!);
    return key;
  };
  /**
   * The JWT: `iss` the instance's issuer, `aud` the protected application's id, `sub` the user
   * id, 60 s. Why an audience per application: a token one application received is refused by
   * another that checks `aud` (RFC 7519 §4.1.3), so one app cannot replay it at the next.
   */
  return async (app: HostApp, identity: ForwardIdentity): Promise<string> => {
    const { kid, key } = await keyOf(app.instanceId);
    const now = Math.floor(deps.clock.now().getTime() / 1000);
    return new SignJWT({
      email: identity.email,
      name: identity.name,
      acr: identity.acr,
      amr: identity.amr,
      auth_time: identity.authTime,
      [ROLE_CLAIM]: identity.role,
      [INSTANCE_CLAIM]: identity.instanceSlug,
    })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuerFor(publicUrl, identity.instanceSlug))
      .setAudience(app.id)
      .setSubject(identity.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + REMOTE_JWT_SECONDS)
      .sign(key);
  };
}

/** Every identity header, filled in for an allowed request. */
export function setIdentity(reply: FastifyReply, identity: ForwardIdentity, jwt: string): FastifyReply {
  return reply
    .header('remote-user', identity.userId)
    .header('remote-email', asciiHeader(identity.email))
    .header('remote-name', asciiHeader(identity.name))
    .header('remote-groups', identity.role)
    .header('remote-instance', identity.instanceSlug)
    .header('remote-amr', identity.amr.join(','))
    .header('remote-jwt', jwt);
}
