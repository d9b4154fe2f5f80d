/**
 * A small application that signs its users in through keyward (OpenID Connect, docs/oidc.md
 * "Connect an application in ten minutes"). node:http and openid-client only; run it with
 *
 *   npm run example -- --issuer http://127.0.0.1:3000/i/acme --client-id=ID --client-secret=SECRET
 *
 * (or KEYWARD_ISSUER, KEYWARD_CLIENT_ID, KEYWARD_CLIENT_SECRET, PORT). It listens on 127.0.0.1
 * only; register http://127.0.0.1:PORT/callback as its redirect URI, http://127.0.0.1:PORT/
 * as its post-logout redirect URI and http://127.0.0.1:PORT/backchannel-logout as its
 * back-channel logout URI.
 */
import http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const ACR_MFA = 'urn:keyward:acr:mfa';
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const COOKIE = 'example_sid';
/** A pending sign-in or a signed-in user is kept this long; the map holds at most MAX_SESSIONS. */
const SESSION_SECONDS = 8 * 3600;
const MAX_SESSIONS = 10_000;

interface Options {
  issuer: URL;
  clientId: string;
  clientSecret: string | undefined;
  port: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      port: { type: 'string' },
    },
  });
  const issuer = values.issuer ?? process.env.KEYWARD_ISSUER;
  const clientId = values['client-id'] ?? process.env.KEYWARD_CLIENT_ID;
  const clientSecret = values['client-secret'] ?? process.env.KEYWARD_CLIENT_SECRET;
  const port = Number(values.port ?? process.env.PORT ?? 4000);
  if (!issuer || !clientId) {
    throw new Error('Give --issuer and --client-id (and --client-secret for a confidential application), or KEYWARD_ISSUER etc.');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Not a port: ${port}`);
  return { issuer: new URL(issuer), clientId, clientSecret: clientSecret || undefined, port };
}

/** What the application remembers of a browser: a sign-in under way, then the signed-in user. */
interface Session {
  expiresAt: number;
  /** Ties the sign-out form to this session (a cross-site page cannot sign the user out). */
  csrf: string;
  pending?: { state: string; nonce: string; verifier: string; mfa: boolean };
  user?: { idToken: string; claims: oidc.IDToken };
}

const sessions = new Map<string, Session>();

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

function sessionOf(request: http.IncomingMessage): { id: string; session: Session } | null {
  const id = /(?:^|;\s*)example_sid=([\w-]{43})(?:;|$)/.exec(request.headers.cookie ?? '')?.[1];
  const session = id ? sessions.get(id) : undefined;
  if (!id || !session) return null;
  if (session.expiresAt < Date.now()) {
    sessions.delete(id);
    return null;
  }
  return { id, session };
}

/** A new session with a random id (never one the browser proposes: no session fixation, OWASP ASVS 7.2.4). */
function newSession(response: http.ServerResponse, previous: string | undefined): Session {
  if (previous) sessions.delete(previous);
  for (const [id, session] of sessions) {
    if (sessions.size < MAX_SESSIONS && session.expiresAt >= Date.now()) break;
    sessions.delete(id);
  }
  const id = randomId();
  const session: Session = { expiresAt: Date.now() + SESSION_SECONDS * 1000, csrf: randomId() };
  sessions.set(id, session);
  // HttpOnly: no script reads it; SameSite=Lax: it still comes back on keyward's redirect (a
  // top-level GET). A real deployment behind https adds Secure.
  response.setHeader('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_SECONDS}`);
  return session;
}

function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c as '&' | '<' | '>' | '"' | "'"],
  );
}

function page(response: http.ServerResponse, status: number, title: string, body: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  response.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${escapeHtml(title)} · Example app</title><link rel="stylesheet" href="/style.css"></head>` +
      `<body><header><a class="brand" href="/">Example app</a></header><main>${body}</main>` +
      `<footer>An application that signs in through keyward (OpenID Connect).</footer></body></html>`,
  );
}

function redirect(response: http.ServerResponse, location: string): void {
  response.writeHead(303, { location, 'cache-control': 'no-store' });
  response.end();
}

const CSS = readFileSync(new URL('./style.css', import.meta.url));

async function start(opts: Options): Promise<http.Server> {
  const origin = `http://127.0.0.1:${opts.port}`;
  const redirectUri = `${origin}/callback`;
  const postLogoutRedirectUri = `${origin}/`;
  // Why: openid-client refuses plain http (RFC 6749 §3.1 wants TLS); only a keyward on this
  // machine's loopback interface may be reached without it, as in development and the tests.
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(opts.issuer.hostname);
  const config = await oidc
    .discovery(
      opts.issuer,
      opts.clientId,
      undefined,
      opts.clientSecret ? oidc.ClientSecretBasic(opts.clientSecret) : oidc.None(),
      loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
    )
    .catch((error: unknown) => {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new Error(`Cannot read ${opts.issuer.href}/.well-known/openid-configuration: ${reason}`);
    });
  // The ID token's signature is checked against the issuer's JWKS, not only its claims (OIDC Core
  // §3.1.3.7 step 6; openid-client skips it by default for tokens that came straight over TLS).
  oidc.enableNonRepudiationChecks(config);
  const { issuer, jwks_uri: jwksUri } = config.serverMetadata();
  const jwks = createRemoteJWKSet(new URL(jwksUri!));

  const routes: Record<string, (request: http.IncomingMessage, response: http.ServerResponse, url: URL) => Promise<void> | void> = {
    'GET /': (request, response) => {
      const current = sessionOf(request);
      if (current?.session.user) return redirect(response, '/me');
      page(
        response,
        200,
        'Welcome',
        `<section class="card"><h1>Welcome</h1><p>This application has no passwords of its own: you sign in with your keyward account.</p>` +
          `<p><a class="button" href="/login">Sign in with keyward</a></p></section>`,
      );
    },
    'GET /style.css': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' });
      response.end(CSS);
    },
    // The authorization request: code flow with PKCE S256, state and nonce (OIDC Core §3.1.2.1,
    // RFC 7636), each random and kept in this browser's session only.
    'GET /login': async (request, response, url) => {
      const mfa = url.searchParams.get('mfa') === '1';
      const session = newSession(response, sessionOf(request)?.id);
      const verifier = oidc.randomPKCECodeVerifier();
      session.pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, mfa };
      const authorization = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: session.pending.state,
        nonce: session.pending.nonce,
        ...(mfa ? { acr_values: ACR_MFA } : {}),
      });
      redirect(response, authorization.href);
    },
    'GET /callback': async (request, response, url) => {
      const current = sessionOf(request);
      const pending = current?.session.pending;
      if (!current || !pending) {
        return page(
          response,
          400,
          'Sign-in failed',
          `<section class="card"><h1>Sign-in failed</h1><p>This sign-in was not started here, or it expired.</p><p><a class="button" href="/login">Sign in again</a></p></section>`,
        );
      }
      delete current.session.pending;
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, new URL(url.pathname + url.search, origin), {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        const code =
          error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError ? error.error : 'sign_in_failed';
        return page(
          response,
          400,
          'Sign-in failed',
          `<section class="card"><h1>Sign-in failed</h1><p>keyward answered <code>${escapeHtml(code)}</code>.</p>` +
            `<p><a class="button" href="/login">Try again</a></p></section>`,
        );
      }
      const claims = tokens.claims()!;
      // Why: acr_values is a request the provider may not meet (OIDC Core §3.1.2.1: "voluntary");
      // the application checks the ID token's acr itself before it lets the user in with mfa.
      if (pending.mfa && claims.acr !== ACR_MFA) {
        return page(
          response,
          403,
          'Sign-in failed',
          `<section class="card"><h1>A code was required</h1><p>The sign-in did not include a second factor.</p></section>`,
        );
      }
      const session = newSession(response, current.id);
      session.user = { idToken: tokens.id_token!, claims };
      redirect(response, '/me');
    },
    'GET /me': (request, response) => {
      const current = sessionOf(request);
      const user = current?.session.user;
      if (!current || !user) return redirect(response, '/');
      const { claims } = user;
      const amr = Array.isArray(claims.amr) ? claims.amr.map(String).join(', ') : '';
      const row = (label: string, value: unknown, id: string) =>
        `<div><dt>${label}</dt><dd data-claim="${id}">${escapeHtml(value)}</dd></div>`;
      page(
        response,
        200,
        'Signed in',
        `<section class="card"><h1>Hello, ${escapeHtml(claims.name ?? claims.sub)}</h1><p>You are signed in through keyward. From the ID token:</p>` +
          `<dl>${row('Name', claims.name ?? '', 'name')}${row('Email', claims.email ?? '', 'email')}` +
          `${row('acr', claims.acr ?? '', 'acr')}${row('amr', amr, 'amr')}${row('Subject', claims.sub, 'sub')}</dl>` +
          `<div class="actions">` +
          (claims.acr === ACR_MFA ? '' : `<a class="button secondary" href="/login?mfa=1">Require a code</a>`) +
          `<form method="post" action="/logout"><input type="hidden" name="csrf" value="${current.session.csrf}">` +
          `<button type="submit">Sign out</button></form></div></section>`,
      );
    },
    // RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2): forget the user here, then
    // send the browser to keyward's end_session_endpoint with the ID token as the hint and the
    // registered post-logout redirect URI, so keyward ends its session too.
    'POST /logout': async (request, response) => {
      const current = sessionOf(request);
      const body = new URLSearchParams(await readBody(request));
      const csrf = Buffer.from(body.get('csrf') ?? '');
      const expected = Buffer.from(current?.session.csrf ?? '');
      if (!current?.session.user || csrf.length !== expected.length || !timingSafeEqual(csrf, expected)) return redirect(response, '/');
      sessions.delete(current.id);
      response.setHeader('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
      redirect(
        response,
        oidc.buildEndSessionUrl(config, { id_token_hint: current.session.user.idToken, post_logout_redirect_uri: postLogoutRedirectUri })
          .href,
      );
    },
    // Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.5): keyward POSTs a signed
    // logout token when the keyward session behind a sign-in ends (logout, an administrator's
    // reset, a password change, …); the application forgets the sessions of that sid. Register
    // http://127.0.0.1:PORT/backchannel-logout as the application's back-channel logout URI.
    'POST /backchannel-logout': async (request, response) => {
      const token = new URLSearchParams(await readBody(request)).get('logout_token') ?? '';
      // §2.6: signed by the issuer's key, for this client, typed as a logout token, with the
      // event, a sid or sub, and never a nonce (so an ID token cannot pass for one).
      const verified = await jwtVerify(token, jwks, { issuer, audience: opts.clientId, typ: 'logout+jwt' }).catch(() => null);
      const claims = verified?.payload;
      const events = claims?.events as Record<string, unknown> | undefined;
      if (
        !claims ||
        !events ||
        typeof events !== 'object' ||
        !(BACKCHANNEL_LOGOUT_EVENT in events) ||
        'nonce' in claims ||
        !(claims.sid || claims.sub)
      ) {
        response.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return void response.end(JSON.stringify({ error: 'invalid_request' }));
      }
      for (const [id, session] of sessions) {
        const user = session.user?.claims;
        if (user && (claims.sid ? user.sid === claims.sid : user.sub === claims.sub)) sessions.delete(id);
      }
      response.writeHead(200, { 'cache-control': 'no-store' });
      response.end();
    },
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const route = routes[`${request.method} ${url.pathname}`];
    if (!route) return page(response, 404, 'Not found', '<section class="card"><h1>Not found</h1></section>');
    Promise.resolve(route(request, response, url)).catch((error: unknown) => {
      console.error(error);
      if (!response.headersSent) page(response, 500, 'Error', '<section class="card"><h1>Something went wrong</h1></section>');
      else response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  console.log(
    `Example app listening on ${origin}/ (redirect URI ${redirectUri}, post-logout URI ${postLogoutRedirectUri}, back-channel logout URI ${origin}/backchannel-logout)`,
  );
  return server;
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 4096) throw new Error('body too large');
  }
  return body;
}

try {
  await start(options(process.argv.slice(2)));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
