/**
 * keyward's CSP says `form-action 'self'` (plugins/headers.ts). Two pages of the provider submit a
 * form whose answer leaves for a relying party: `response_mode=form_post` posts the response to
 * the client's redirect URI, and RP-initiated logout posts to the provider, which then redirects
 * to the client's `post_logout_redirect_uri` (form-action also governs the redirects a submission
 * follows, CSP Level 3 §6.4.1). On exactly those responses, and only for a URI the library has
 * matched against the client's registered ones, `form-action` names that URI's origin as well;
 * everything else of the policy stays, the script the library inlines being allowed by its own
 * SHA-256 (it adds the hash itself). Why not wider: a page that may post anywhere can be made to
 * send its fields to an attacker (CSP form-action, OWASP CSP cheat sheet).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

/** The origin a form on this page may also post or be redirected to, or null for a custom scheme. */
export function webOrigin(uri: string): string | null {
  const url = URL.parse(uri);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null;
  return url.origin;
}

/** The policy with `origin` added to its form-action directive (and nothing else changed). */
export function widenFormAction(csp: string, origin: string): string {
  return csp
    .split(';')
    .map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return name?.toLowerCase() === 'form-action' && !values.includes(origin) ? [name, ...values, origin].join(' ') : directive.trim();
    })
    .join(';');
}

/** The relying party's URI this response's form leads to, when the library matched it to the client. */
function destination(ctx: KoaContextWithOIDC): string | null {
  const { oidc } = ctx;
  const client = oidc?.client;
  if (!client || !ctx.response.is('html')) return null;
  if ((oidc.route === 'authorization' || oidc.route === 'resume') && oidc.responseMode === 'form_post') {
    const uri = oidc.params?.redirect_uri;
    return typeof uri === 'string' && client.redirectUriAllowed(uri) ? uri : null;
  }
  if (oidc.route === 'end_session') {
    const uri = oidc.params?.post_logout_redirect_uri;
    return typeof uri === 'string' && client.postLogoutRedirectUriAllowed(uri) ? uri : null;
  }
  return null;
}

/** Koa middleware for the provider (provider.use): runs after the library answered. */
export async function formActionForRelyingParty(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  const uri = destination(ctx);
  const origin = uri && webOrigin(uri);
  const csp = ctx.response.get('content-security-policy');
  if (origin && typeof csp === 'string' && csp) ctx.set('content-security-policy', widenFormAction(csp, origin));
}
