/**
 * RP-initiated logout ends the keyward session (issue 12, "one session of record"). The library's
 * `end_session` shows keyward's confirmation page (pages.ts) and its form posts to
 * `end_session_confirm`, which ends the provider's session and redirects (303) to the client's
 * registered `post_logout_redirect_uri` or to the success page. A middleware of the provider runs
 * after that action and before the response leaves: when the user confirmed ("Yes, sign me out",
 * `logout=yes`) a logout of a signed-in provider session, the browser's keyward session ends as
 * well and its cookie is cleared, so the redirect never lands while keyward still signs the user in.
 */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Deps } from '../../domain/shared/deps.ts';
import { endSessionAtRpLogout } from '../../domain/oidc/oidc-logout.ts';
import { keywardToken } from './interaction-policy.ts';

export interface RpLogoutSettings {
  instanceId: string;
  /** The keyward session cookie's name (plugins/session.ts). */
  sessionCookie: string;
  /** Whether the cookie is Secure (PUBLIC_URL is https). */
  https: boolean;
}

export function endKeywardSessionOnRpLogout(deps: Deps, provider: Provider, settings: RpLogoutSettings): void {
  provider.use(async (ctx, next) => {
    await next();
    // Set by the library's router for its own routes; absent on a path it does not know.
    const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
    if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    // Why only a confirmed logout of a signed-in provider session: "No, stay signed in" leaves the
    // user signed in (the library then only forgets the asking client), and the library posts its
    // form by itself, unconfirmed, when its session has no account: a page of any site could send
    // the browser there, and a logout nobody confirmed is no logout (RP-Initiated Logout 1.0 §2).
    if (!oidc.params?.logout || !oidc.session?.accountId) return;
    // ctx.ip: the address Fastify's request.ip gave (oidc.routes.ts sets X-Forwarded-For; proxy on).
    const request = {
      client: { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null },
      clientId: oidc.client?.clientId ?? null,
      clientName: typeof oidc.client?.clientName === 'string' ? oidc.client.clientName : null,
    };
    if (!(await endSessionAtRpLogout(deps, settings.instanceId, keywardToken(ctx.get('cookie'), settings.sessionCookie), request))) return;
    // The same attributes as the cookie was set with (plugins/session.ts), so the browser drops it.
    ctx.cookies.set(settings.sessionCookie, null, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: settings.https,
      signed: false,
      overwrite: true,
    });
  });
}
