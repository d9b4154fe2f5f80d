/**
 * keyward's login interaction (docs/oidc.md "The login interaction"): the provider sends the
 * browser to `/i/{slug}/interaction/{uid}` when the keyward session does not settle an
 * authorization by itself. The handler judges the browser's keyward session for the request and
 * either finishes the interaction with its login (back to the provider's resume URL), or sends the
 * browser to keyward's own login page for the instance, `/i/{slug}/login?interaction={uid}`, which
 * returns here when its steps are done. Every redirect is built here from the slug the registry
 * found and the interaction's own uid, or is the provider's resume URL under the issuer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { authenticate } from '../../domain/session/authenticate.ts';
import { judgeSession } from '../../domain/oidc/oidc-login.ts';
import type { Cookies } from '../plugins/session.ts';
import type { OidcRegistry } from './provider-registry.ts';
import type Provider from 'oidc-provider';
import { currentInstance, demandOf } from './interaction-policy.ts';
import { interactionGonePage } from './pages.ts';
import { errorBody, sendError } from '../error-handler.ts';

/** The library's interaction ids (nanoid): anything else is no interaction of ours. */
const UID = /^[A-Za-z0-9_-]{1,64}$/;

/** keyward's record in an unfinished interaction: a `prompt=login` asks for a login after this instant. */
interface KeywardMark {
  loginAfter?: string;
}

/**
 * The provider's session an interaction began in ends with the keyward session behind it (docs/oidc.md
 * "Logout"): a login at keyward's page (max_age, prompt=login) replaces that keyward session, so
 * the interaction names a provider session that is gone, and the library would refuse it. The
 * interaction then forgets it, as it forgets another account's (below): the resume starts a new
 * provider session from the keyward session that exists now. True when it did.
 */
async function forgetEndedSession(provider: Provider, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const cookies = provider.createContext(request.raw, reply.raw).cookies;
  const id = cookies.get(provider.cookieName('interaction'), { signed: true });
  const interaction = id ? await provider.Interaction.find(id) : undefined;
  const uid = interaction?.session?.uid;
  if (!interaction || !uid || (await provider.Session.findByUid(uid))) return false;
  delete interaction.session;
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  return true;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The library's `interactionResult(req, res, result, { mergeWithLastSubmission: false })` on the
 * interaction this handler has just loaded: the same assignment and save (oidc-provider 9,
 * lib/provider.js), and its resume URL. Why not the library's call: it reads the interaction
 * cookie, the Interaction row and its provider Session again, a statement or two and a cookie
 * verification per login for what this request already holds (bench/http.ts, issue 16).
 */
async function saveResult(interaction: Interaction, result: Record<string, unknown>): Promise<string> {
  interaction.result = result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

export function interactionRoutes(deps: Deps, registry: OidcRegistry, jar: Cookies) {
  const gone = (reply: FastifyReply) =>
    reply.status(400).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(interactionGonePage());

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { slug, uid } = request.params as { slug: string; uid: string };
    const mounted = await registry.forSlug(slug);
    if (!mounted) return sendError(reply, 404, errorBody('not_found', `No instance "${slug}".`));
    if (!UID.test(uid)) return gone(reply);
    const { provider, instance } = mounted;
    let interaction;
    try {
      interaction = await provider.interactionDetails(request.raw, reply.raw).catch(async (error: unknown) => {
        if (!(await forgetEndedSession(provider, request, reply))) throw error;
        return provider.interactionDetails(request.raw, reply.raw);
      });
    } catch {
      return gone(reply);
    }
    // Why: the cookie names the browser's interaction; an address with another uid is not it.
    if (interaction.uid !== uid) return gone(reply);
    reply.header('cache-control', 'no-store');

    const params = interaction.params as Record<string, unknown>;
    const client = await provider.Client.find(typeof params.client_id === 'string' ? params.client_id : '');
    const now = deps.clock.now();
    const active = await authenticate(deps, jar.read(request));
    const mark: KeywardMark = (interaction.result as { keyward?: KeywardMark } | undefined)?.keyward ?? {};
    const promptLogin = typeof params.prompt === 'string' && params.prompt.split(' ').includes('login');
    const demand = {
      ...demandOf(params, client, currentInstance(active, instance), now),
      // prompt=login (OIDC Core §3.1.2.1): a login after the request reached keyward, whatever session exists.
      freshLogin: promptLogin && !mark.loginAfter,
      loginAfter: mark.loginAfter ? new Date(mark.loginAfter) : null,
    };
    const verdict = judgeSession(active, instance.id, demand, now);
    const loginPage = (extra: Record<string, string> = {}) =>
      reply.redirect(`${mounted.mountPath}/login?${new URLSearchParams({ interaction: uid, ...extra }).toString()}`, 303);

    if (verdict.kind === 'login') {
      if (demand.freshLogin) {
        await saveResult(interaction, { keyward: { loginAfter: now.toISOString() } });
      }
      const heldAtSetup = active?.session.stage === 'setup' && active.instance.id === instance.id;
      return loginPage(heldAtSetup ? { step: 'setup' } : {});
    }
    if (verdict.kind === 'step_up') return loginPage({ step: 'step_up' });

    let result: Record<string, unknown>;
    if (verdict.kind === 'unmet') {
      // OIDC Core §3.1.2.6's error for acr values that cannot be met: the user has no app to give a code.
      result = {
        error: 'unmet_authentication_requirements',
        error_description: 'this application requires two-factor authentication; set up an authenticator app in keyward first',
      };
    } else {
      const { login } = verdict;
      // The provider's session of another account (the keyward session changed hands) ends here,
      // so the resume cannot confuse the two accounts (docs/oidc.md).
      if (interaction.session?.accountId && interaction.session.accountId !== login.accountId) {
        const cookie = interaction.session.cookie;
        delete interaction.session;
        await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
        if (cookie) await (await provider.Session.find(cookie))?.destroy();
      }
      result = { login: { accountId: login.accountId, ts: login.authTime, acr: login.acr, amr: login.amr, remember: true }, consent: {} };
    }
    const returnTo = await saveResult(interaction, result);
    // The library's resume URL, checked anyway: only ever back into this instance's issuer.
    if (!returnTo.startsWith(`${mounted.issuer}/`)) return gone(reply);
    return reply.redirect(returnTo, 303);
  };

  return async (app: FastifyInstance) => {
    app.get('/i/:slug/interaction/:uid', handler);
  };
}
