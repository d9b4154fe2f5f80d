/**
 * Signing key pairs for tokens (OpenID Connect ID tokens, JWT access tokens): ES256 (P-256) and
 * RS256 (RSA 2048, for relying parties that know nothing else), as private JWKs (RFC 7517) whose
 * `kid` is the RFC 7638 thumbprint of the public part.
 */
import { createHash, generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';

export const SIGNING_ALGORITHMS = ['ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A private JWK with `kid`, `alg` and `use` set. */
export interface PrivateJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

const generate = promisify(generateKeyPair);

/** RFC 7638 §3: SHA-256 over the required public members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members =
    jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : null;
  if (!members) throw new Error(`No thumbprint for key type ${jwk.kty}`);
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/**
 * A new key pair from the operating system's CSPRNG. Why 2048-bit RSA: NIST SP 800-57 Part 1
 * gives it 112-bit security, acceptable through 2030; ES256 is the default signature anyway.
 */
export async function generateSigningJwk(alg: SigningAlgorithm): Promise<PrivateJwk> {
  const { privateKey } =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: jwkThumbprint(jwk), alg, use: 'sig' };
}
