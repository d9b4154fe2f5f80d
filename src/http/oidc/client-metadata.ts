/**
 * An instance's stored client (src/domain/oidc) as oidc-provider's client metadata (RFC 7591 §2
 * names). The library asks for it through the `Client` model of the adapter on each request that
 * names a client; nothing is kept between requests here (the library caches the built client
 * under a hash of this metadata, so a changed row is a new client at once).
 */
import type { ClientMetadata } from 'oidc-provider';
import type { ClientWithSecret } from '../../domain/oidc/manage-oidc-clients.ts';

/** The scopes a sign-in (authorization_code) client may ask for; machine scopes are never among them. */
export const SIGN_IN_SCOPES = ['openid', 'offline_access', 'email', 'profile'];

export function clientMetadata({ client, clientSecret }: ClientWithSecret): ClientMetadata {
  const machine = client.grantTypes.includes('client_credentials');
  return {
    client_id: client.clientId,
    client_name: client.name,
    application_type: 'web',
    // Why: confidential clients authenticate with their secret in HTTP Basic (RFC 6749 §2.3.1);
    // a public client has none, and PKCE (required for all) binds its codes (RFC 9700 §2.1.1).
    ...(clientSecret === null
      ? { token_endpoint_auth_method: 'none' }
      : { token_endpoint_auth_method: 'client_secret_basic', client_secret: clientSecret }),
    // Matched by the library as exact strings (RFC 9700 §4.1.3); stored exactly as registered.
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: machine ? [] : ['code'],
    default_acr_values: client.defaultAcrValues,
    // Why a client's own list: a token request for a scope outside it is refused (invalid_scope),
    // so a sign-in client never gets admin API scopes, nor a machine client user claims.
    scope: (machine ? client.scopes : SIGN_IN_SCOPES).join(' '),
    // Back-channel logout (docs/oidc.md "Logout"): with `sid` in every logout token (and the ID
    // tokens), so a relying party ends the one session that ended (Back-Channel Logout 1.0 §2.4).
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  };
}
