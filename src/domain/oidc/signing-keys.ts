import { generateSigningJwk, SIGNING_ALGORITHMS, type PrivateJwk, type SigningAlgorithm } from '../../crypto/signing-key.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import type { StoredSigningKey } from './signing-key-store.ts';

/**
 * How long a retired key stays in the JWKS: past the longest life of what it signed (ID tokens
 * and JWT access tokens live an hour), so a relying party that cached the key set still verifies.
 */
export const RETIRED_KEY_PUBLISHED_SECONDS = 24 * 60 * 60;

/** The associated data of a sealed key: a key copied onto another instance's row does not open. */
export const sealContext = (instanceId: string, kid: string) => `oidc-signing-key:${instanceId}:${kid}`;

/** A sealed key that does not open: the database was sealed with another KEYWARD_SECRET_KEY. */
export class SigningKeyUnreadableError extends Error {
  constructor(kid: string) {
    super(`The OpenID Connect signing key ${kid} does not open with KEYWARD_SECRET_KEY (was it sealed with another key?).`);
    this.name = 'SigningKeyUnreadableError';
  }
}

/**
 * The instance's private signing keys for its provider, created on first use: the signing key of
 * each algorithm first (ES256, then RS256), then the retired ones still published. Why sealed
 * (AES-256-GCM under KEYWARD_SECRET_KEY, bound to instance and kid): a database dump alone must
 * not let anyone sign tokens that relying parties accept (OWASP ASVS 5.0 V13.3.1, OTP-11's rule).
 * Two processes creating them at once keep one key per algorithm (the store's unique index).
 */
export async function loadSigningKeys(deps: Deps, instanceId: string): Promise<PrivateJwk[]> {
  const store = deps.stores.forInstance(instanceId).signingKeys;
  const since = () => addSeconds(deps.clock.now(), -RETIRED_KEY_PUBLISHED_SECONDS);
  let keys = await store.findPublished(since());
  const missing = SIGNING_ALGORITHMS.filter((alg) => !keys.some((key) => key.alg === alg && key.retiredAt === null));
  if (missing.length > 0) {
    for (const alg of missing) await store.insertActive(await newKey(deps, instanceId, alg));
    keys = await store.findPublished(since());
  }
  return orderForSigning(keys).map((key) => openKey(deps, instanceId, key));
}

async function newKey(deps: Deps, instanceId: string, alg: SigningAlgorithm): Promise<StoredSigningKey> {
  const jwk = await generateSigningJwk(alg);
  const sealedPrivateJwk = deps.secretBox.seal(Buffer.from(JSON.stringify(jwk)), sealContext(instanceId, jwk.kid));
  return { kid: jwk.kid, alg, sealedPrivateJwk, createdAt: deps.clock.now(), retiredAt: null };
}

/** What a rotation did: the new signing keys and the ones it retired (published for the overlap). */
export interface KeyRotation {
  signing: Array<{ kid: string; alg: SigningAlgorithm }>;
  retired: number;
}

/**
 * `keyward oidc rotate-keys`: new ES256 and RS256 keys sign from now on; the old ones are retired
 * but stay in the JWKS for RETIRED_KEY_PUBLISHED_SECONDS, so what they signed still verifies at
 * relying parties (RFC 7517 §4.5 kid; OpenID Connect Core §10.1.1 rollover). One transaction: no
 * moment without a signing key. A running provider takes the new keys at its next refresh
 * (provider-registry.ts), signing meanwhile with keys it still publishes.
 */
export async function rotateSigningKeys(deps: Deps, instanceId: string): Promise<KeyRotation> {
  const fresh: StoredSigningKey[] = [];
  for (const alg of SIGNING_ALGORITHMS) fresh.push(await newKey(deps, instanceId, alg));
  const retired = await deps.stores.transaction(async (stores) => {
    const store = stores.forInstance(instanceId).signingKeys;
    const count = await store.retireActive(deps.clock.now());
    for (const key of fresh) if (!(await store.insertActive(key))) throw new Error('A concurrent rotation won; run it again.');
    return count;
  });
  return { signing: fresh.map(({ kid, alg }) => ({ kid, alg })), retired };
}

/** Signing keys first, in SIGNING_ALGORITHMS order (oidc-provider signs with the first key of an alg). */
function orderForSigning(keys: StoredSigningKey[]): StoredSigningKey[] {
  const rank = (key: StoredSigningKey) => (key.retiredAt === null ? SIGNING_ALGORITHMS.indexOf(key.alg) : SIGNING_ALGORITHMS.length);
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

function openKey(deps: Deps, instanceId: string, key: StoredSigningKey): PrivateJwk {
  const opened = deps.secretBox.open(key.sealedPrivateJwk, sealContext(instanceId, key.kid));
  if (!opened) throw new SigningKeyUnreadableError(key.kid);
  return JSON.parse(opened.toString('utf8')) as PrivateJwk;
}
