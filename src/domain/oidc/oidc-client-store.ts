import type { OidcClient } from './oidc-client.ts';

/** A client as stored: the public fields and, for a confidential client, its sealed secret. */
export interface StoredOidcClient extends OidcClient {
  /** The secret sealed with the secret box (never in plaintext); null exactly for public clients. */
  sealedSecret: string | null;
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
  /** The instance's clients, oldest first, at most `limit`. */
  list(limit: number): Promise<OidcClient[]>;
  /** Replaces the changeable fields and `updatedAt`: the client after, or null when there is none. */
  update(clientId: string, change: OidcClientChange, updatedAt: Date): Promise<OidcClient | null>;
  /**
   * Replaces the sealed secret of a confidential client: the client, or null when there is no
   * confidential client with that id (a public client has no secret to rotate).
   */
  updateSecret(clientId: string, sealedSecret: string, updatedAt: Date): Promise<OidcClient | null>;
  /** Deletes the client: what it was, or null when there was none. */
  delete(clientId: string): Promise<OidcClient | null>;
}
