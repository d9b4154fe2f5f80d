/**
 * The sign-in paths on a protected application's own host (SPEC §7; the proxy routes
 * `/.keyward/*` there to keyward): `start` sends the browser through the instance's OpenID
 * Connect flow with the application's client, `callback` redeems the code in-process and sets the
 * forward cookie (host-only, or the app's parent-domain cookie when it names a cookie domain),
 * `logout` ends it. The protocol is oidc-provider's on one side and
 * openid-client's on the other: keyward is a relying party of itself, without a network hop.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { Deps } from '../../domain/shared/deps.ts';
import type { HostApp } from '../../domain/forward-auth/forward-session-store.ts';
import { checkedReturnUrl } from '../../domain/forward-auth/return-url.ts';
import { requirementFor } from '../../domain/forward-auth/protected-app.ts';
import { CALLBACK_PATH } from '../../domain/forward-auth/manage-protected-apps.ts';
import { logOutForward, openForwardSession } from '../../domain/forward-auth/forward-session.ts';
import { findProviderClient } from '../../domain/oidc/manage-oidc-clients.ts';
import { ACR_MFA } from '../../domain/oidc/oidc-login.ts';
import { secondsUntil, requestClient } from '../plugins/session.ts';
import { escapeHtml } from '../../domain/mail/mail.ts';
import { issuerFor } from '../oidc/provider-registry.ts';
import { appHostOf, forwardCookieNames, forwardCookieOptions } from './proxy.ts';

/** How long a started sign-in may take (the start cookie's life): as long as a login interaction's pending session. */
export const START_SECONDS = 10 * 60;

interface StartState {
  state: string;
  nonce: string;
  verifier: string;
  rd: string;
  /** Epoch milliseconds after which the start is void. */
  until: number;
}

/** The associated data of the sealed start cookie: it opens only for this application on this host. */
const startContext = (appId: string, host: string) => `forward-auth-start:${appId}:${host}`;

const QUERY_MAX = { type: 'string', maxLength: 4000 } as const;

function errorPage(reply: FastifyReply, status: number, code: string, message: string, links: Array<{ href: string; text: string }> = []) {
  // Never a redirect from an error: the only URLs keyward sends a browser to from here are the
  // instance's own endpoints and a return URL checked against the application's hosts. The
  // links are the same two kinds: keyward's own pages and a checked return URL.
  const list = links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></li>`).join('');
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Sign-in failed · keyward</title></head>` +
    `<body><main><h1>This sign-in cannot continue</h1><p>${escapeHtml(message)}</p>${list ? `<ul>${list}</ul>` : ''}` +
    `<p><code>${escapeHtml(code)}</code></p></main></body></html>`;
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/**
 * openid-client's HTTP, answered by this app's own routes through `inject()`: discovery, the
 * JWKS and the token endpoint of the instance, with no network hop to PUBLIC_URL (which may not
 * even resolve from here). Why only PUBLIC_URL's origin: nothing else is keyward's to answer.
 */
function inProcessFetch(root: () => FastifyInstance, publicUrl: URL): oidc.CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    if (target.origin !== publicUrl.origin) throw new Error(`forward auth fetches only ${publicUrl.origin}, not ${target.origin}`);
    const body = options.body instanceof URLSearchParams ? options.body.toString() : (options.body as string | undefined);
    const answer = await root().inject({
      method: options.method as 'GET' | 'POST',
      url: `${target.pathname}${target.search}`,
      headers: { ...options.headers, host: publicUrl.host },
      ...(body === undefined ? {} : { payload: body }),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) for (const item of [value].flat()) headers.append(name, String(item));
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(answer.rawPayload), { status: answer.statusCode, headers });
  };
}

export interface SignInOptions {
  publicUrl: URL;
  /** The root app, whose routes answer the in-process requests. */
  root: () => FastifyInstance;
}

export function signInRoutes(deps: Deps, options: SignInOptions) {
  const customFetch = inProcessFetch(options.root, options.publicUrl);
  const insecure = options.publicUrl.protocol === 'http:';

  /** The instance's provider as a relying party sees it, through customFetch. */
  async function relyingParty(app: HostApp, secret?: string): Promise<oidc.Configuration> {
    const issuer = new URL(issuerFor(options.publicUrl, app.instanceSlug));
    const config = await oidc.discovery(
      issuer,
      app.clientId,
      undefined,
      secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: customFetch,
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    );
    // The ID token's signature is checked against the instance's JWKS too, not only its claims.
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  /** The application of the request's host, or the error page's answer. */
  async function hostApp(request: FastifyRequest) {
    const at = appHostOf(request);
    const app = at && (await deps.stores.forwardAuth.findApp(at.host));
    return at && app ? { at, app } : null;
  }

  return async (server: FastifyInstance) => {
    server.get(
      '/.keyward/start',
      { schema: { querystring: { type: 'object', properties: { rd: QUERY_MAX } } } },
      async (request, reply) => {
        const found = await hostApp(request);
        if (!found) return errorPage(reply, 403, 'unknown_host', 'No protected application has this host.');
        const { at, app } = found;
        const { rd } = request.query as { rd?: string };
        const returnUrl = checkedReturnUrl(rd ?? `${at.protocol}://${at.host}/`, app.hosts);
        if (!returnUrl) return errorPage(reply, 400, 'invalid_return_url', 'The return address is not on this application.');
        const start: StartState = {
          state: oidc.randomState(),
          nonce: oidc.randomNonce(),
          verifier: oidc.randomPKCECodeVerifier(),
          rd: returnUrl,
          until: deps.clock.now().getTime() + START_SECONDS * 1000,
        };
        const config = await relyingParty(app);
        // An `mfa` path asks the provider for acr mfa, which a password-only session meets only
        // after a code at keyward's step-up (interaction-policy.ts, OIDC Core §3.1.2.1 acr_values).
        const mfa = requirementFor(app.rules, new URL(returnUrl).pathname) === 'mfa';
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${at.protocol}://${at.host}${CALLBACK_PATH}`,
          scope: 'openid email profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(start.verifier),
          code_challenge_method: 'S256',
          state: start.state,
          nonce: start.nonce,
          ...(mfa ? { acr_values: ACR_MFA } : {}),
        });
        // Why sealed (AES-256-GCM under KEYWARD_SECRET_KEY, bound to app and host): the verifier
        // and nonce must stay the browser's secret from everyone, the browser included, and a
        // cookie made for one application must not open at another (RFC 9700 §2.1.1, §4.7).
        const sealed = deps.secretBox.seal(Buffer.from(JSON.stringify(start)), startContext(app.id, at.host));
        const names = forwardCookieNames(at.protocol);
        reply.setCookie(names.start, sealed, forwardCookieOptions(at.protocol, START_SECONDS));
        return reply.status(302).header('cache-control', 'no-store').header('location', url.href).send();
      },
    );

    server.get(
      CALLBACK_PATH,
      {
        schema: {
          querystring: { type: 'object', properties: { code: QUERY_MAX, state: QUERY_MAX, error: QUERY_MAX, iss: QUERY_MAX } },
        },
      },
      async (request, reply) => {
        const found = await hostApp(request);
        if (!found) return errorPage(reply, 403, 'unknown_host', 'No protected application has this host.');
        const { at, app } = found;
        const names = forwardCookieNames(at.protocol);
        const sealed = request.cookies[names.start];
        reply.clearCookie(names.start, forwardCookieOptions(at.protocol));
        const opened = sealed ? deps.secretBox.open(sealed, startContext(app.id, at.host)) : null;
        const start = opened ? (JSON.parse(opened.toString('utf8')) as StartState) : null;
        const query = request.query as { code?: string; state?: string; error?: string };
        // Why the state is compared with the browser's own sealed cookie: a code from someone
        // else's sign-in must not log this browser in as them (login CSRF, RFC 6749 §10.12).
        if (!start || start.until <= deps.clock.now().getTime() || query.state !== start.state) {
          return errorPage(
            reply,
            400,
            'invalid_request',
            'This sign-in expired or was started in another browser. Open the application again.',
          );
        }
        const returnUrl = checkedReturnUrl(start.rd, app.hosts);
        if (!returnUrl) return errorPage(reply, 400, 'invalid_return_url', 'The return address is not on this application.');
        if (query.error || !query.code) {
          const again = { href: returnUrl, text: 'Open the application again' };
          // An `mfa` path for an account without an authenticator app: the provider refused the
          // essential acr (OIDC Core §5.5.1.1); the person needs to know what to do, not the code.
          if (query.error === 'unmet_authentication_requirements') {
            return errorPage(
              reply,
              400,
              query.error,
              'This page of the application asks for a code from an authenticator app, and your account has no app set up yet. Set one up in keyward (My Profile, two-factor authentication), then open the application again.',
              [{ href: `${options.publicUrl.origin}/profile`, text: 'Set up an authenticator app in keyward' }, again],
            );
          }
          return errorPage(reply, 400, query.error ?? 'invalid_request', 'The sign-in was not completed.', [again]);
        }
        const client = await findProviderClient(deps, app.instanceId, app.clientId);
        if (!client?.clientSecret) return errorPage(reply, 400, 'invalid_request', 'This application is no longer protected here.');
        const config = await relyingParty(app, client.clientSecret);
        const redirectUri = `${at.protocol}://${at.host}${CALLBACK_PATH}`;
        const current = new URL(`${redirectUri}?${new URLSearchParams(request.query as Record<string, string>).toString()}`);
        let subject: string;
        try {
          const tokens = await oidc.authorizationCodeGrant(
            config,
            current,
            { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce, idTokenExpected: true },
            { redirect_uri: redirectUri },
          );
          subject = tokens.claims()!.sub;
        } catch (error) {
          request.log.info({ err: error }, 'forward auth: the code exchange failed');
          return errorPage(reply, 400, 'invalid_grant', 'The sign-in could not be completed. Open the application again.');
        }
        const session = await openForwardSession(deps, app, at.host, query.code);
        // The session the code's row names must be the ID token's user: one login, told twice.
        if (!session || session.userId !== subject) {
          return errorPage(reply, 400, 'invalid_grant', 'Your keyward sign-in ended meanwhile. Open the application again.');
        }
        const maxAge = secondsUntil(session.expiresAt, deps.clock.now());
        // The app's opt-in (docs/forward-auth.md): with a cookie domain, the cookie goes to every
        // host under it, and every app of this instance with that domain accepts it.
        if (session.cookieDomain)
          reply.setCookie(names.domain, session.token, forwardCookieOptions(at.protocol, maxAge, session.cookieDomain));
        else reply.setCookie(names.session, session.token, forwardCookieOptions(at.protocol, maxAge));
        return reply.status(302).header('cache-control', 'no-store').header('location', returnUrl).send();
      },
    );

    server.get('/.keyward/logout', async (request, reply) => {
      const found = await hostApp(request);
      if (!found) return errorPage(reply, 403, 'unknown_host', 'No protected application has this host.');
      const { at, app } = found;
      const names = forwardCookieNames(at.protocol);
      await logOutForward(deps, [request.cookies[names.session], request.cookies[names.domain]], requestClient(request));
      reply.clearCookie(names.session, forwardCookieOptions(at.protocol));
      if (app.cookieDomain) reply.clearCookie(names.domain, forwardCookieOptions(at.protocol, undefined, app.cookieDomain));
      const login = `${options.publicUrl.origin}/i/${encodeURIComponent(app.instanceSlug)}/login`;
      return reply.status(302).header('cache-control', 'no-store').header('location', login).send();
    });
  };
}
