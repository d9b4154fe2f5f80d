/**
 * The configuration of one instance's oidc-provider: what keyward decides (keys, cookies, state,
 * accounts, which protocol features are on), the protocol itself being the library's.
 */
import type { ClientMetadata, Configuration } from 'oidc-provider';
import { SIGNING_ALGORITHMS, type PrivateJwk } from '../../crypto/signing-key.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import type { Instance } from '../../domain/instance/instance.ts';
import { findOidcAccount } from '../../domain/oidc/oidc-account.ts';
import { stateAdapterFactory } from './adapter.ts';
import { renderErrorPage } from './error-page.ts';

/** Signatures keyward offers: ES256 by default, RS256 for relying parties that know nothing else. */
const SIGNING_ALGS = SIGNING_ALGORITHMS;

/** A login interaction lasts as long as keyward's half-authenticated session (15 minutes). */
const INTERACTION_SECONDS = 15 * 60;

/** HKDF purpose of the cookie-signing keys; the instance id is the context (secret-box.ts). */
const COOKIE_KEY_PURPOSE = 'keyward oidc cookies v1';

export interface ProviderSettings {
  instance: Instance;
  /** `/i/{slug}`: where the provider is mounted, the issuer's path. */
  mountPath: string;
  https: boolean;
  keys: PrivateJwk[];
  /** Tests only, until keyward stores clients: the instance's clients. */
  clients: ClientMetadata[];
}

export function providerConfiguration(deps: Deps, settings: ProviderSettings): Configuration {
  const { instance, mountPath } = settings;
  // Why path-scoped: one browser holds the cookies of several instances, and each provider only
  // ever receives its own (RFC 6265 §5.1.4 path match: `/i/acme` never matches `/i/acme-corp`);
  // they are also signed with keys of this instance, so a copied cookie does not verify elsewhere.
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: mountPath, secure: settings.https };
  return {
    adapter: stateAdapterFactory(deps.stores.forInstance(instance.id).oidcState, deps.clock),
    clients: settings.clients,
    jwks: { keys: settings.keys },
    cookies: { keys: deps.secretBox.deriveKeys(COOKIE_KEY_PURPOSE, instance.id), long: cookieOptions, short: cookieOptions },
    findAccount: async (_ctx, sub) => {
      const account = await findOidcAccount(deps, instance.id, sub);
      if (!account) return undefined;
      return { accountId: account.sub, claims: () => ({ sub: account.sub, email: account.email, name: account.name }) };
    },
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    // The login interaction is keyward's own (docs/oidc.md): under the issuer, so the path-scoped
    // interaction cookie reaches it.
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    features: {
      // Why off: the development views accept any username and password (the library's warning).
      devInteractions: { enabled: false },
      // Why off: clients are registered by an instance's administrators only (issue 12).
      registration: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      // Not offered until a step needs and tests them: less protocol surface (OWASP ASVS 5.0 V10).
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    // Why only the code flow: tokens never travel in a front-channel URL (RFC 9700 §2.1.2).
    responseTypes: ['code'],
    // Why for every client, confidential ones too: PKCE also stops code injection (RFC 9700
    // §2.1.1); the library offers S256 only (no `plain`).
    pkce: { required: () => true },
    // Why no omission: the redirect URI is always named and matched exactly (RFC 9700 §4.1.3).
    allowOmittingSingleRegisteredRedirectUri: false,
    clientAuthMethods: ['client_secret_basic', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING_ALGS,
      userinfoSigningAlgValues: SIGNING_ALGS,
      introspectionSigningAlgValues: SIGNING_ALGS,
      authorizationSigningAlgValues: SIGNING_ALGS,
    },
    // Why: browsers may call the token endpoint only for public clients (SPAs, PKCE) and only from
    // the origin of one of their redirect URIs; confidential clients call from their servers.
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && client.redirectUris!.some((uri) => URL.parse(uri)?.origin === origin),
    ttl: { Interaction: INTERACTION_SECONDS },
    renderError: async (ctx, out) => renderErrorPage(ctx, out),
  };
}
