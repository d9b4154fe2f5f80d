import type { SigningAlgorithm } from '../../crypto/signing-key.ts';

/** A signing key as stored: the private JWK sealed with the secret box (never in plaintext). */
export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  sealedPrivateJwk: string;
  createdAt: Date;
  /** null while the key signs; a retired key is still published so that its tokens verify. */
  retiredAt: Date | null;
}

/**
 * An instance's token signing keys (`stores.forInstance(id).signingKeys`); every query is of that
 * instance only, so no instance can sign with or publish another's key.
 */
export interface SigningKeyStore {
  /** The signing keys (one per algorithm at most) and those retired after `retiredAfter`, newest first. */
  findPublished(retiredAfter: Date): Promise<StoredSigningKey[]>;
  /**
   * Inserts `key` as the signing key of its algorithm unless the instance has one already (a
   * concurrent process won): true when this one was inserted. One statement.
   */
  insertActive(key: StoredSigningKey): Promise<boolean>;
  /**
   * Retires every signing key of the instance at `retiredAt` (they stay published for the
   * overlap): how many were. One statement; use in a transaction with the new keys' inserts.
   */
  retireActive(retiredAt: Date): Promise<number>;
}
