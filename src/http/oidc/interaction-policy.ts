/**
 * The keyward session is the login of record (issue 12): on every authorization request (the
 * first one and each resume) the provider's interaction policy looks up the keyward session of
 * the browser and judges it (domain/oidc/oidc-login.ts). The provider's own session only mirrors
 * it: when the keyward session suffices, the provider's session is set to its login (account,
 * auth_time, acr, amr) before the request is answered, so a stale or other account's provider
 * session is never what an ID token speaks for; when it does not, the browser goes to keyward's
 * login interaction (interaction.routes.ts), or `prompt=none` gets its error.
 */
import { interactionPolicy, type KoaContextWithOIDC, type Configuration } from 'oidc-provider';
import type { Deps } from '../../domain/shared/deps.ts';
import type { Instance } from '../../domain/instance/instance.ts';
import { authenticate } from '../../domain/session/authenticate.ts';
import { demandsMfa, essentialAcrOf, judgeSession, type OidcLogin, type OidcVerdict } from '../../domain/oidc/oidc-login.ts';
import type { ActiveSession } from '../../domain/session/session-store.ts';
import { linkRequest } from './session-link.ts';

type FindAccount = NonNullable<Configuration['findAccount']>;

/** The keyward session behind a request's cookie header (the provider reads no other cookie of ours). */
export function keywardToken(cookieHeader: string | undefined, cookieName: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === cookieName) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/** The instance as the session lookup just read it (its policy now), else as the provider was built with it. */
export function currentInstance(active: ActiveSession | null, instance: Instance): Instance {
  return active && active.instance.id === instance.id ? active.instance : instance;
}

/** What the request asks of the login, as the provider sees it. */
export function demandOf(
  params: Record<string, unknown>,
  client: { defaultAcrValues?: readonly string[] | undefined } | undefined,
  instance: Instance,
  now: Date,
): { mfa: boolean; maxAge?: number } {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : undefined;
  const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
  const mfa = demandsMfa({
    acrValues,
    defaultAcrValues: client?.defaultAcrValues,
    essentialAcr: essentialAcrOf(params.claims),
    instance,
    now,
  });
  return { mfa, ...(maxAge !== undefined && Number.isFinite(maxAge) ? { maxAge } : {}) };
}

/**
 * The grant of a first-party client: every client of an instance is registered by its
 * administrators, so there is no consent screen; what the request asks (its OpenID scopes and
 * claims, within what the client may ask) is granted and recorded in a Grant, as the library's
 * `loadExistingGrant` lets a provider do for trusted clients.
 */
export async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const accountId = oidc.session!.accountId!;
  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session!.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) grant = new oidc.provider.Grant({ accountId, clientId });
  const scopes = [...oidc.requestParamOIDCScopes].join(' ');
  if (scopes) grant.addOIDCScope(scopes);
  const claims = [...oidc.requestParamClaims];
  if (claims.length > 0) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

/**
 * Sets the provider's session to the keyward session's login. Another account's provider session
 * gets a new id and loses its clients' grants (no session fixation across users, OWASP ASVS 5.0
 * V7.2.4); the account and grant the library loaded for it are replaced.
 */
async function mirror(ctx: KoaContextWithOIDC, login: OidcLogin, findAccount: FindAccount): Promise<boolean> {
  const session = ctx.oidc.session!;
  const switched = session.accountId !== login.accountId;
  if (switched && session.accountId) {
    session.resetIdentifier();
    session.authorizations = {};
  }
  const same =
    !switched && session.loginTs === login.authTime && session.acr === login.acr && (session.amr ?? []).join(' ') === login.amr.join(' ');
  if (!same) session.loginAccount({ accountId: login.accountId, loginTs: login.authTime, acr: login.acr, amr: login.amr });
  if (ctx.oidc.account?.accountId !== login.accountId) {
    const account = await findAccount(ctx, login.accountId);
    if (!account) return false;
    ctx.oidc.entity('Account', account);
  }
  // Saved here, after the request was linked to the keyward session, so the grant (and the code
  // and tokens made from it) names the session it was made from (session-link.ts).
  if (ctx.oidc.grant?.accountId !== login.accountId) {
    const grant = await firstPartyGrant(ctx);
    session.ensureClientContainer(ctx.oidc.client!.clientId);
    session.grantIdFor(ctx.oidc.client!.clientId, grant.jti);
    ctx.oidc.entity('Grant', grant);
  }
  return true;
}

/**
 * The library's policy with keyward's prompt first. Its `max_age` check goes (keyward judges the
 * keyward session's login time by keyward's clock); its `prompt=login`, `id_token_hint` and
 * essential-acr checks stay and see the mirrored session.
 */
export function keywardPolicy(deps: Deps, instance: Instance, cookieName: string, findAccount: FindAccount) {
  const { Prompt, Check, base } = interactionPolicy;
  const verdicts = new WeakMap<object, Promise<OidcVerdict>>();
  const verdictOf = (ctx: KoaContextWithOIDC) => {
    let verdict = verdicts.get(ctx);
    if (!verdict) {
      verdict = (async () => {
        const active: ActiveSession | null = await authenticate(deps, keywardToken(ctx.get('cookie'), cookieName));
        const now = deps.clock.now();
        const demand = demandOf(ctx.oidc.params as Record<string, unknown>, ctx.oidc.client, currentInstance(active, instance), now);
        const judged = judgeSession(active, instance.id, demand, now);
        if (judged.kind !== 'ok') return judged;
        // What this authorization saves (the provider's session, the grant, the code) is made from
        // this keyward session and ends with it (docs/oidc.md "Logout").
        linkRequest(ctx, active!.session.id);
        if (!(await mirror(ctx, judged.login, findAccount))) return { kind: 'login' } as const;
        return judged;
      })();
      verdicts.set(ctx, verdict);
    }
    return verdict;
  };
  /**
   * The library's loadExistingGrant, which it calls before the policy when its session has an
   * account: the keyward session is judged first, so the grant is the one mirror() saved for it,
   * linked to it; none when the keyward session does not settle the request (its login then
   * makes the grant at the resume).
   */
  const loadExistingGrant = async (ctx: KoaContextWithOIDC) => {
    const verdict = await verdictOf(ctx);
    return verdict.kind === 'ok' ? ctx.oidc.grant : undefined;
  };
  const policy = base();
  policy.get('login')!.checks.remove('max_age');
  policy.add(
    new Prompt(
      { name: 'keyward', requestable: false },
      new Check('keyward_login', 'End-User authentication is required', 'login_required', async (ctx) => {
        return (await verdictOf(ctx)).kind === 'login' ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      }),
      new Check('keyward_mfa', 'a second factor is required', 'interaction_required', async (ctx) => {
        const { kind } = await verdictOf(ctx);
        return kind === 'step_up' || kind === 'unmet' ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      }),
    ),
    0,
  );
  return { policy, loadExistingGrant };
}
