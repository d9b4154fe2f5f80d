import type { OidcClient } from './oidc-client.ts';

/** A client as stored: the public fields and, for a confidential client, its sealed secret. */
export interface StoredOidcClient extends OidcClient {
  /** The secret sealed with the secret box (never in plaintext); null exactly for public clients. */
  sealedSecret: string | null;
  /**
   * The protected application (forward auth, SPEC §7) this client belongs to; null for a client
   * of its own. An owned client is the application's: the client API neither lists, shows,
   * changes, rotates nor deletes it (its application does), while the provider uses it as any other.
   */
  ownerAppId: string | null;
}

/** The fields an administrator may change after creation (not `public`, not the secret). */
export type OidcClientChange = Pick<
  OidcClient,
  'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'backchannelLogoutUri' | 'defaultAcrValues' | 'grantTypes' | 'scopes'
>;

/**
 * An instance's OpenID Connect clients (`stores.forInstance(id).oidcClients`): every statement
 * filters that instance, so a client id of another instance is never found, changed or deleted
 * through this one (its provider, its admin API). Each method is one statement.
 */
export interface OidcClientStore {
  /**
   * Inserts the client unless the instance has `max` clients already: false when it had (the
   * count and the insert are one statement; two concurrent inserts may both pass it, so `max` is
   * a bound on abuse, not an exact limit).
   */
  insert(client: StoredOidcClient, max: number): Promise<boolean>;
  /** The client, or null when this instance has none with that id. */
  find(clientId: string): Promise<StoredOidcClient | null>;
  /** The instance's clients of their own (no protected application's), oldest first, at most `limit`. */
  list(limit: number): Promise<OidcClient[]>;
  /**
   * Replaces the changeable fields and `updatedAt`: the client after, or null when there is none.
   * `owner`: the client of that protected application; absent, a client of its own only.
   */
  update(clientId: string, change: OidcClientChange, updatedAt: Date, owner?: string): Promise<OidcClient | null>;
  /**
   * Replaces the sealed secret of a confidential client of its own: the client, or null when
   * there is no such client (a public client has no secret to rotate).
   */
  updateSecret(clientId: string, sealedSecret: string, updatedAt: Date): Promise<OidcClient | null>;
  /** Deletes the client (of its own, or of the application `owner`): what it was, or null when there was none. */
  delete(clientId: string, owner?: string): Promise<OidcClient | null>;
}
