/**
 * The few pages oidc-provider renders itself, as keyward's HTML under keyward's CSP (no
 * inline style or script; every value escaped): the error page for a request it cannot send back
 * to a relying party (an unknown client, a redirect URI not registered: no redirect to an
 * unverified URI, RFC 6749 §4.1.2.1), and RP-initiated logout's confirmation and success pages.
 */
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from '../../domain/mail/mail.ts';

/**
 * The stylesheets of these pages: the colour tokens the web UI uses too (web/public/tokens.css,
 * light and dark), then the pages' own (web/public/provider-pages.css). Files, as keyward's CSP
 * allows no inline style.
 */
const STYLESHEETS = ['/tokens.css', '/provider-pages.css'];

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)} · keyward</title>${STYLESHEETS.map((href) => `<link rel="stylesheet" href="${href}">`).join('')}</head>` +
    `<body><main><p class="brand">keyward</p>${body}</main></body></html>`
  );
}

export function renderErrorPage(ctx: KoaContextWithOIDC, out: ErrorOut): void {
  ctx.type = 'html';
  const description = out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : '';
  ctx.body = page(
    'Sign-in failed',
    `<h1>This sign-in cannot continue</h1><p>The application sent a request keyward cannot accept (<code>${escapeHtml(out.error)}</code>).</p>` +
      `${description}<p>Go back to the application and try again; if this keeps happening, tell its administrator.</p>`,
  );
}

/** `form` is the library's hidden form with its own anti-forgery token; the buttons submit it. */
export function renderLogoutPage(ctx: KoaContextWithOIDC, form: string): void {
  ctx.type = 'html';
  ctx.body = page(
    'Sign out',
    `<h1>Sign out?</h1><p>This ends your keyward session in this browser.</p>${form}` +
      '<div class="buttons"><button class="primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>' +
      '<button type="submit" form="op.logoutForm">No, stay signed in</button></div>',
  );
}

export function renderLogoutSuccessPage(ctx: KoaContextWithOIDC): void {
  ctx.type = 'html';
  const client = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
  ctx.body = page('Signed out', `<h1>Signed out</h1><p>You are signed out${client ? ` of ${escapeHtml(client)}` : ''}.</p>`);
}

/** keyward's answer for an interaction address whose sign-in is gone (expired, finished, or another browser's). */
export function interactionGonePage(): string {
  return page(
    'Sign-in expired',
    '<h1>This sign-in has expired</h1><p>It took too long, was already finished, or was started in another browser.</p>' +
      '<p>Go back to the application and sign in again.</p>',
  );
}

/**
 * The logout pages (the confirmation, and the self-submitting form when the provider has no
 * session) post to `end_session/confirm`, whose answer is a redirect to the client's post-logout
 * redirect URI; a browser applies the page's CSP `form-action` to every redirect of a form
 * submission (CSP Level 3 §6.4.1), so keyward's `form-action 'self'` would stop the browser at
 * keyward. This middleware (after the library's end_session route has run) adds to that page's
 * policy the origin of that URI, which the library has matched exactly against the client's
 * registered post-logout redirect URIs (RP-Initiated Logout 1.0 §3: an unregistered one is
 * refused, one without a client dropped) before it kept it for the confirm step, and nothing else.
 */
export async function allowPostLogoutRedirect(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'end_session' || ctx.status !== 200) return;
  // Set by the library's renderLogout only, after the URI passed its check (an error page has none).
  const target = (ctx.oidc.session?.state as { postLogoutRedirectUri?: unknown } | undefined)?.postLogoutRedirectUri;
  const policy = ctx.response.get('content-security-policy');
  if (typeof target !== 'string' || typeof policy !== 'string' || !/form-action 'self'/.test(policy)) return;
  const { origin, protocol } = new URL(target);
  if (protocol !== 'https:' && protocol !== 'http:') return;
  ctx.set('content-security-policy', policy.replace(/form-action 'self'/, `form-action 'self' ${origin}`));
}
