/**
 * The page oidc-provider shows a browser when it cannot send an error back to a relying party
 * (an unknown client, a redirect URI not registered): no redirect to an unverified URI (RFC 6749
 * §4.1.2.1). Plain HTML under keyward's CSP: no inline style or script; the values are escaped.
 */
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from '../../domain/mail/mail.ts';

export function renderErrorPage(ctx: KoaContextWithOIDC, out: ErrorOut): void {
  ctx.type = 'html';
  const description = out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : '';
  ctx.body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head><body>' +
    `<h1>This sign-in cannot continue</h1><p>The application sent a request keyward cannot accept (<code>${escapeHtml(out.error)}</code>).</p>` +
    `${description}<p>Go back to the application and try again; if this keeps happening, tell its administrator.</p></body></html>`;
}
