/**
 * AES-256-GCM for secrets at rest (TOTP secrets). Each sealed value names the key id that sealed
 * it, so keys can be rotated: new values use the current key, old ones open with theirs.
 * Format: `<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './hash.ts';

export interface SecretBox {
  readonly keyId: string;
  seal(plaintext: Buffer, associatedData: string): string;
  /** null when the value is malformed, sealed with an unknown key, or tampered with. */
  open(sealed: string, associatedData: string): Buffer | null;
  /**
   * HMAC-SHA-256 under a subkey derived from the current key, as `<keyId>.<hex>`: how high-entropy
   * codes are stored (NIST SP 800-63B §3.1.2.2 allows a plain keyed hash at ≥ 112 bits).
   */
  mac(value: string): string;
  /** Whether `value` has the stored MAC, computed with the key it names; constant time. */
  macMatches(value: string, stored: string): boolean;
  /**
   * 32-byte keys derived from every key (HKDF-SHA-256, RFC 5869: salt `purpose`, info `context`),
   * the current key's first: for a library that signs with the first key and verifies with all
   * (oidc-provider's cookie keys), so a rotation of KEYWARD_SECRET_KEY keeps what the old one signed.
   */
  deriveKeys(purpose: string, context: string): Buffer[];
}

/** A key from its text form: 32 bytes as base64/base64url/hex; the key id is derived from it. */
export function parseKey(text: string): { id: string; key: Buffer } {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64url');
  if (key.length !== 32) throw new Error('A secret key must be 32 bytes, written as 64 hex digits or base64.');
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
}

export function generateKeyText(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * `keys[0]` seals; all open. Why associated data: a sealed secret copied onto another user's row
 * does not open there (the row's identity is bound into the tag).
 */
export function createSecretBox(keys: Array<{ id: string; key: Buffer }>): SecretBox {
  const current = keys[0];
  if (!current) throw new Error('createSecretBox needs at least one key');
  // Why KeyObjects made once: given a Buffer, every createCipheriv/createDecipheriv prepares a
  // new key object from it, which showed in the login's profile (each login opens a TOTP secret
  // and seals and opens a mail; issue 16).
  const byId = new Map(keys.map((k) => [k.id, createSecretKey(k.key)]));
  const sealingKey = byId.get(current.id)!;
  // Why a derived subkey: the same key never serves both encryption and MAC (a KeyObject too, as above).
  const macKeys = new Map(
    keys.map((k) => [k.id, createSecretKey(Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), 'keyward mac v1', 32)))]),
  );
  const macWith = (keyId: string, value: string) => {
    const key = macKeys.get(keyId);
    return key ? `${keyId}.${createHmac('sha256', key).update(value, 'utf8').digest('hex')}` : null;
  };
  return {
    mac: (value) => macWith(current.id, value)!,
    deriveKeys: (purpose, context) => keys.map((k) => Buffer.from(hkdfSync('sha256', k.key, purpose, context, 32))),
    macMatches(value, stored) {
      const computed = macWith(stored.split('.')[0] ?? '', value);
      return computed !== null && constantTimeEqual(computed, stored);
    },
    keyId: current.id,
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return [current.id, ...parts].join('.');
    },
    open(sealed, associatedData) {
      const [keyId, iv, ciphertext, tag, extra] = sealed.split('.');
      const key = keyId ? byId.get(keyId) : undefined;
      if (!key || !iv || ciphertext === undefined || !tag || extra !== undefined) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      } catch {
        return null;
      }
    },
  };
}
