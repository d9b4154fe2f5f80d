/**
 * keyward's CSP says `form-action 'self'` (plugins/headers.ts). A `response_mode=form_post` answer
 * is a page whose form posts the response to the client's redirect URI. On exactly those responses,
 * and only for a URI the library has matched against the client's registered ones, `form-action`
 * names that URI's origin as well (the logout pages get the same for the post-logout URI from
 * pages.ts `allowPostLogoutRedirect`);
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
