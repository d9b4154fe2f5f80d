import { sha256Hex } from '../../crypto/hash.ts';

/**
 * The state of an instance's OpenID Connect provider (oidc-provider's models: Session, Grant,
 * Interaction, AuthorizationCode, AccessToken, RefreshToken, …), as the library's adapter
 * interface needs it. Implemented per instance (`stores.forInstance(id).oidcState`): every method
 * reads and writes that instance's rows only, in one statement, so no code, token or session of
 * one instance is ever found through another's issuer.
 */
export interface OidcStateStore {
  /**
   * Inserts or replaces the row of (`model`, `id`). `expiresAt` null: kept until destroyed. The
   * references are what the finders below look up (the library's `grantId`, `uid`, `userCode`).
   */
  upsert(model: string, id: string, payload: OidcPayload, expiresAt: Date | null, refs: OidcStateRefs): Promise<void>;
  /**
   * The payload, or null when there is no such row, it expired at or before `now`, or the keyward
   * session it was made from (`keywardSessionId`) no longer exists, has expired or gone idle at
   * `now` (the user profile's lifetimes), or its user is not active: nothing outlives the session
   * of record (docs/oidc.md "Logout").
   */
  find(model: string, id: string, now: Date): Promise<OidcStoredState | null>;
  /** The `model` row whose `uid` is this (sessions), as find. */
  findByUid(model: string, uid: string, now: Date): Promise<OidcStoredState | null>;
  /** The `model` row whose `userCode` is this (device codes), as find. */
  findByUserCode(model: string, userCode: string, now: Date): Promise<OidcStoredState | null>;
  /**
   * Marks the row consumed at `now`, once: true for the one call that did (a conditional UPDATE),
   * false when it was consumed already, expired or absent (RFC 6749 §4.1.2: a code is used once).
   */
  consume(model: string, id: string, now: Date): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  /** Deletes every row of the grant, whatever its model (codes, access and refresh tokens). */
  revokeByGrantId(grantId: string): Promise<void>;
}

/** A model's JSON payload as the library hands it over. */
export type OidcPayload = Record<string, unknown>;

export interface OidcStateRefs {
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  /**
   * The keyward session the row is made from. Absent: the one of the row's grant (`grantId`, a
   * token made at the token endpoint). null: none (a row that does not end with a session). Absent
   * or null on a row stored before keeps the one it had.
   */
  keywardSessionId?: string | null;
}

export interface OidcStoredState {
  payload: OidcPayload;
  /** When consume() succeeded; null while unused. */
  consumedAt: Date | null;
}

/**
 * The models whose id is a bearer credential on its own: whoever holds an authorization code, an
 * access, refresh or client_credentials token uses it. Their rows are keyed by the id's SHA-256,
 * and their payload does not carry the id (`jti`), so a read of the database hands out none of
 * them (OWASP ASVS 5.0 V7.2.1: reference tokens not stored in the clear; keyward's own session
 * tokens and links are stored the same way). A lookup hashes the presented value; the ids are
 * 256 random bits, so a plain SHA-256 is enough (no salt, no slow hash: nothing to guess).
 * Sessions and interactions stay as they are: the library finds a Session by its `uid` and needs
 * its id back from the payload, and both ids work only inside cookies signed with the instance's
 * cookie keys. Device codes and CIBA requests are found by other keys and are off.
 */
export const HASHED_STATE_MODELS: ReadonlySet<string> = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials']);

/** The id a row of `model` is stored and found under (the one home of that rule). */
export function storedStateId(model: string, id: string): string {
  return HASHED_STATE_MODELS.has(model) ? sha256Hex(id) : id;
}
