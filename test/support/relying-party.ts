/**
 * openid-client, a relying party nobody here wrote, signing users in at the real server of
 * `useOidcServer`; the login itself goes through keyward's JSON API with the browser's cookies, as
 * the SPA drives it.
 */
import { expect } from 'vitest';
import * as oidc from 'openid-client';
import { PASSWORD } from './deps.ts';
import { Browser, discoverClient, givenOidcClient, givenUserWithApp, type OidcServer, type TestOidcClient } from './oidc.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';

export const ACR_PWD = 'urn:keyward:acr:pwd';
export const ACR_MFA = 'urn:keyward:acr:mfa';

/** The relying-party steps over the server `current()` answers (assigned in a beforeAll). */
export function relyingParties(current: () => OidcServer) {
  /** The instance's registered clients: a plain one, and one whose registration asks for mfa by default. */
  const clients = new Map<string, Promise<TestOidcClient>>();
  function clientOf(instance: Instance, strict: boolean) {
    const key = `${instance.id}:${strict}`;
    if (!clients.has(key))
      clients.set(key, givenOidcClient(current().deps, instance, strict ? { name: 'Strict app', defaultAcrValues: [ACR_MFA] } : {}));
    return clients.get(key)!;
  }

  /** Discovery of the instance's issuer with the client's id and secret. */
  async function relyingParty(instance: Instance, strict = false) {
    const app = await clientOf(instance, strict);
    const config = await discoverClient(current(), instance, app);
    // The ID token's signature is checked against the instance's JWKS (not only its claims).
    oidc.enableNonRepudiationChecks(config);
    return { config, redirectUri: app.redirect_uris[0]!, client: app };
  }

  /** An authorization request with PKCE, state and nonce; `finish` redeems the code the callback carries. */
  async function authorize(instance: Instance, params: Record<string, string> = {}, strict = false) {
    const rp = await relyingParty(instance, strict);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rp.config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    });
    return {
      url: url.href,
      redirectUri: rp.redirectUri,
      client: rp.client,
      finish: async (callback: URL) => {
        const tokens = await oidc
          .authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce })
          .catch((error: unknown) => {
            throw new Error(`token endpoint: ${JSON.stringify((error as { cause?: unknown }).cause ?? error)}`);
          });
        return { tokens, claims: tokens.claims()!, config: rp.config };
      },
    };
  }

  async function passwordLogin(browser: Browser, instance: Instance, user: User) {
    return browser.api('/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD });
  }

  /** A user (a new member unless `existing`) with an authenticator app (through the API) and a browser that knows the location. */
  const userWithApp = (instance: Instance, existing?: User) =>
    givenUserWithApp(current().origin, current().deps, instance, existing ? { existing } : {});

  /** Follows the authorization to keyward's login page for this instance; returns the interaction's uid. */
  async function toLoginPage(browser: Browser, instance: Instance, url: string, redirectUri: string) {
    const at = await browser.follow(url, redirectUri);
    expect(at.login?.pathname, JSON.stringify(at.callback ?? at.response?.status)).toBe(`/i/${instance.slug}/login`);
    const uid = at.login!.searchParams.get('interaction')!;
    expect(uid).toMatch(/^[\w-]+$/);
    return { uid, step: at.login!.searchParams.get('step') };
  }

  const resume = (browser: Browser, instance: Instance, uid: string, redirectUri: string) =>
    browser.follow(`/i/${instance.slug}/interaction/${uid}`, redirectUri);

  /** A new user with an app signs in through a fresh browser with password and code; the tokens the client redeemed. */
  async function signedIn(instance: Instance, params: Record<string, string> = {}) {
    const { user, code } = await userWithApp(instance);
    const browser = new Browser(current().origin);
    const request = await authorize(instance, params);
    const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
    expect((await passwordLogin(browser, instance, user)).json).toMatchObject({ next: 'verify' });
    expect((await browser.api('/auth/verify', { code: code() })).json).toEqual({ next: 'done' });
    const back = await resume(browser, instance, uid, request.redirectUri);
    expect(back.callback, JSON.stringify(back.response?.status)).toBeDefined();
    return { user, browser, client: request.client, ...(await request.finish(back.callback!)) };
  }

  return { relyingParty, authorize, passwordLogin, userWithApp, toLoginPage, resume, signedIn };
}
