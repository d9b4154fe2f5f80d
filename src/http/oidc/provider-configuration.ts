/**
 * The configuration of one instance's oidc-provider: what keyward decides (keys, cookies, state,
 * accounts, which protocol features are on), the protocol itself being the library's.
 */
import type { Configuration } from 'oidc-provider';
import { SIGNING_ALGORITHMS, type PrivateJwk } from '../../crypto/signing-key.ts';
import { cookieSigner } from '../../crypto/cookie-signer.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import type { Instance } from '../../domain/instance/instance.ts';
import { accountClaims, findOidcAccount, INSTANCE_CLAIM, ROLE_CLAIM } from '../../domain/oidc/oidc-account.ts';
import { ACR_VALUES } from '../../domain/oidc/oidc-login.ts';
import { keywardPolicy } from './interaction-policy.ts';
import { stateAdapterFactory } from './adapter.ts';
import { findProviderClient } from '../../domain/oidc/manage-oidc-clients.ts';
import { MACHINE_SCOPES } from '../../domain/oidc/oidc-client.ts';
import { clientMetadata } from './client-metadata.ts';
import { renderErrorPage, renderLogoutPage, renderLogoutSuccessPage } from './pages.ts';
import { errors } from 'oidc-provider';
import { SESSION_ABSOLUTE_SECONDS } from '../../domain/session/session.ts';
import { isLoopbackHost } from '../../net-address.ts';

/** Signatures keyward offers: ES256 by default, RS256 for relying parties that know nothing else. */
const SIGNING_ALGS = SIGNING_ALGORITHMS;

/**
 * Lifetimes in seconds, every one set here (the library prints a notice on stdout, pino's stream,
 * for each default it uses). Access tokens are short anyway (RFC 9700 §4.14 keeps them brief);
 * every token also ends with the keyward session it was made from (docs/oidc.md "Logout").
 */
const TTL_SECONDS = {
  AccessToken: 10 * 60,
  AuthorizationCode: 60,
  ClientCredentials: 10 * 60,
  IdToken: 60 * 60,
  /** A login interaction lasts as long as keyward's half-authenticated session. */
  Interaction: 15 * 60,
  /** The provider's sign-in lasts no longer than a keyward session can. */
  Session: SESSION_ABSOLUTE_SECONDS,
  Grant: 14 * 24 * 60 * 60,
};
const REFRESH_TOKEN_SECONDS = 14 * 24 * 60 * 60;

/** HKDF purpose of the cookie-signing keys; the instance id is the context (secret-box.ts). */
const COOKIE_KEY_PURPOSE = 'keyward oidc cookies v1';

export interface ProviderSettings {
  instance: Instance;
  /** `/i/{slug}`: where the provider is mounted, the issuer's path. */
  mountPath: string;
  https: boolean;
  keys: PrivateJwk[];
  /** The name of keyward's session cookie: the login of record (interaction-policy.ts). */
  sessionCookie: string;
  /** PUBLIC_URL is a loopback address (development, tests): loopback relying parties may be called. */
  loopback: boolean;
}

/**
 * The library's outgoing requests (back-channel logout tokens) go through its own SSRF guard, which
 * refuses special-use addresses (loopback, private ranges, link-local). Why kept, and lifted only
 * for a loopback target when keyward itself is on loopback: an instance's administrator registers
 * the URI, and a server on a public address must never be made to POST to its own machine or its
 * network (OWASP ASVS 5.0 V1.3.6, SSRF); registration accepts http only on loopback, for
 * development, which this serves.
 */
function outgoingFetch(loopback: boolean): NonNullable<Configuration['fetch']> {
  return (input, init) => {
    const target = URL.parse(input instanceof Request ? input.url : String(input));
    if (loopback && target && isLoopbackHost(target.hostname) && init) {
      const { dispatcher: _guard, ...rest } = init as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(input, rest);
    }
    return globalThis.fetch(input, init);
  };
}

export function providerConfiguration(deps: Deps, settings: ProviderSettings): Configuration {
  const { instance, mountPath } = settings;
  // Why path-scoped: one browser holds the cookies of several instances, and each provider only
  // ever receives its own (RFC 6265 §5.1.4 path match: `/i/acme` never matches `/i/acme-corp`);
  // they are also signed with keys of this instance, so a copied cookie does not verify elsewhere.
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: mountPath, secure: settings.https };
  const findAccount: NonNullable<Configuration['findAccount']> = async (_ctx, sub) => {
    const account = await findOidcAccount(deps, instance, sub);
    if (!account) return undefined;
    return { accountId: account.sub, claims: () => accountClaims(account) };
  };
  const keyward = keywardPolicy(deps, instance, settings.sessionCookie, findAccount);
  return {
    // Clients come from the instance's oidc_clients only, read on each request (client-metadata.ts).
    adapter: stateAdapterFactory(deps.stores.forInstance(instance.id).oidcState, deps.clock, async (clientId) => {
      const found = await findProviderClient(deps, instance.id, clientId);
      return found ? clientMetadata(found) : undefined;
    }),
    clients: [],
    jwks: { keys: settings.keys },
    // The instance's cookie keys, signing as keygrip does at a fraction of its CPU (cookie-signer.ts).
    cookies: { keys: cookieSigner(deps.secretBox.deriveKeys(COOKIE_KEY_PURPOSE, instance.id)), long: cookieOptions, short: cookieOptions },
    findAccount,
    // Why every claim in the ID token (not only in userinfo, the library's default): SPEC §6 lists
    // them as ID token claims, and a relying party should not need a second call to learn the role.
    conformIdTokenClaims: false,
    // `null`: a claim of its own (the library's default has acr, auth_time, sid and iss so; amr
    // joins them, RFC 8176). Why acr, amr and auth_time in `openid` too: a standalone claim is in
    // the ID token only when the request names it (acr_values, max_age, claims); SPEC §6 puts them
    // in every ID token, so a relying party always learns how the user logged in.
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
      openid: ['sub', 'acr', 'amr', 'auth_time', ROLE_CLAIM, INSTANCE_CLAIM],
      email: ['email'],
      profile: ['name'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', ...MACHINE_SCOPES],
    // What a client's default_acr_values may name (the library checks them against this list).
    acrValues: [...ACR_VALUES],
    // No consent screen: every client is the instance's own (interaction-policy.ts firstPartyGrant),
    // saved once the keyward session behind the request is judged.
    loadExistingGrant: keyward.loadExistingGrant,
    // The login interaction is keyward's own (interaction.routes.ts): under the issuer, so the
    // path-scoped interaction cookie reaches it.
    interactions: {
      policy: keyward.policy,
      url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}`,
    },
    features: {
      // Why off: the development views accept any username and password (the library's warning).
      devInteractions: { enabled: false },
      // Why off: clients are registered by an instance's administrators only (issue 12).
      registration: { enabled: false },
      userinfo: { enabled: true },
      // The `claims` parameter (SPEC §6 flows): an essential acr of mfa asks for a code, as acr_values does.
      claimsParameter: { enabled: true },
      // Machine clients (SPEC §6); their tokens reach the admin API in a later step.
      clientCredentials: { enabled: true },
      // The library's default policies, stated: a client revokes only its own tokens; a public
      // client introspects only its own (RFC 7009 §2.1, RFC 7662 §4).
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      // OpenID Connect Back-Channel Logout 1.0: a client that registered a URI is told, server to
      // server, when the session behind its tokens ends (docs/oidc.md "Logout"; every token goes
      // through keyward's durable queue, provider-registry.ts).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => renderLogoutPage(ctx, form),
        postLogoutSuccessSource: async (ctx) => renderLogoutSuccessPage(ctx),
      },
      // No resource server is known yet (the admin API becomes one with client_credentials): a
      // `resource` parameter is refused, as the library's default does, without its warning.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async () => {
          throw new errors.InvalidTarget();
        },
      },
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
    ttl: {
      ...TTL_SECONDS,
      // As the library's default: a browser app's refresh token (public, not sender-constrained)
      // keeps its first expiry through rotation, so a stolen one is not renewed forever.
      RefreshToken: (ctx, token, client) => {
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        const browserApp = client.applicationType === 'web' && client.clientAuthMethod === 'none' && !token.isSenderConstrained();
        return rotated && browserApp ? rotated.remainingTTL : REFRESH_TOKEN_SECONDS;
      },
    },
    // Why every refresh rotates, for confidential clients too (the library's default waits for 70 %
    // of the lifetime): a refresh token used twice is then detectable, and the library revokes
    // the whole grant when it is (RFC 9700 §4.14.2, refresh token rotation).
    rotateRefreshToken: true,
    renderError: async (ctx, out) => renderErrorPage(ctx, out),
    fetch: outgoingFetch(settings.loopback),
  };
}
