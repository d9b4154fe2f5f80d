/**
 * One oidc-provider per instance, built on first use and kept in a bounded LRU keyed by slug
 * (logto's pattern): issuer `PUBLIC_URL/i/{slug}`, the instance's own keys, cookie keys and state.
 * Every request looks the slug up (one statement), so a deleted instance answers 404 and a slug
 * that names another instance now never reaches the provider built for the old one.
 */
import { allowPostLogoutRedirect } from './pages.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import type { Instance } from '../../domain/instance/instance.ts';
import { loadSigningKeys } from '../../domain/oidc/signing-keys.ts';
import { providerConfiguration } from './provider-configuration.ts';
import { cookies } from '../plugins/session.ts';
import { endKeywardSessionOnRpLogout } from './rp-logout.ts';
import { watchClientAuthentication } from './client-auth-events.ts';
import { formActionForRelyingParty } from './form-action.ts';
import { isLoopbackHost } from '../../net-address.ts';

export interface MountedProvider {
  instance: Instance;
  /** `/i/{slug}`, the issuer's path. */
  mountPath: string;
  issuer: string;
  /** The library's provider, for keyward's interaction handler (interaction.routes.ts). */
  provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /**
   * Signs and POSTs a back-channel logout token to the client's registered URI (the library's
   * `client.backchannelLogout`); false when the client or its URI is gone (nothing to send).
   * Throws when the relying party does not answer 200 or 204.
   */
  sendBackchannelLogout(delivery: { clientId: string; sub: string; sid: string }): Promise<boolean>;
}

export interface OidcRegistryOptions {
  publicUrl: URL;
  log: FastifyBaseLogger;
  /** Wakes the back-channel logout worker after the provider queued a token. */
  backchannelQueued?: () => void;
  /** Told the grant type of each successful token request (the tokens-issued metric); no instance. */
  tokensIssued?: (grant: string) => void;
  /** How many instances' providers stay built; the least recently used is rebuilt when needed. */
  maxProviders?: number;
}

export interface OidcRegistry {
  /** The provider of the instance with this slug, or null when there is none. */
  forSlug(slug: string): Promise<MountedProvider | null>;
  /** How many providers are built (for tests of the bound). */
  readonly size: number;
}

const DEFAULT_MAX_PROVIDERS = 100;

/**
 * How long a built provider serves before it is rebuilt from the database: a key rotation made by
 * another process (the CLI) takes effect within this time, and a retired key leaves the JWKS. Why
 * this is safe: a provider signs only with keys it also publishes, and retired keys stay published
 * for a day. Clients are not cached here at all (read on each request, client-metadata.ts).
 */
export const PROVIDER_REFRESH_SECONDS = 60;

export function issuerFor(publicUrl: URL, slug: string): string {
  return `${publicUrl.origin}/i/${slug}`;
}

export function createOidcRegistry(deps: Deps, options: OidcRegistryOptions): OidcRegistry {
  const max = options.maxProviders ?? DEFAULT_MAX_PROVIDERS;
  // Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  const built = new Map<string, { instanceId: string; builtAt: number; provider: Promise<MountedProvider> }>();
  const fresh = (entry: { builtAt: number }) => deps.clock.now().getTime() - entry.builtAt < PROVIDER_REFRESH_SECONDS * 1000;

  const build = async (instance: Instance): Promise<MountedProvider> => {
    const mountPath = `/i/${instance.slug}`;
    const issuer = issuerFor(options.publicUrl, instance.slug);
    const keys = await loadSigningKeys(deps, instance.id);
    const https = options.publicUrl.protocol === 'https:';
    const sessionCookie = cookies(options.publicUrl).session;
    // Loopback relying parties (http://127.0.0.1, registration allows them) are reached only by a
    // server that is itself on loopback: development and tests (provider-configuration.ts fetch).
    const loopback = isLoopbackHost(options.publicUrl.hostname);
    const provider = new Provider(issuer, providerConfiguration(deps, { instance, mountPath, https, keys, sessionCookie, loopback }));
    // Why: the route hands the provider the public origin and the client address keyward decided
    // (PUBLIC_URL, TRUST_PROXY) as forwarded headers it sets itself (oidc-routes.ts).
    provider.proxy = true;
    // The logout pages may send the browser on to the client's registered post-logout URI (pages.ts).
    provider.use(allowPostLogoutRedirect);
    // The keyward session ends with a confirmed RP-initiated logout (rp-logout.ts).
    endKeywardSessionOnRpLogout(deps, provider, { instanceId: instance.id, sessionCookie, https });
    // Into keyward's log, not Koa's console default; the library answers the client itself.
    provider.on('server_error', (_ctx, error: Error) => options.log.error({ err: error, issuer }, 'oidc provider error'));
    // Issued tokens by grant (docs/operations.md metrics): the library's grant.success, emitted
    // once per successful token request after its grant handler; one listener per built provider.
    const tokensIssued = options.tokensIssued;
    if (tokensIssued)
      provider.on('grant.success', (ctx: { oidc: { params?: { grant_type?: unknown } } }) =>
        tokensIssued(String(ctx.oidc.params?.grant_type)),
      );
    // Failed client authentications feed keyward's throttle (oidc.routes.ts, token-throttle.ts).
    watchClientAuthentication(provider);
    // A form_post answer may post to the client's registered redirect origin only (form-action.ts).
    provider.use(formActionForRelyingParty);
    // Why the library's own back-channel logout is queued instead of sent (its RP-initiated
    // logout calls it during the request, once, without retries): every logout token goes
    // through the durable queue and its worker (backchannel-worker.ts), retried until delivered.
    const clientModel = provider.Client.prototype as unknown as {
      backchannelLogout: (this: { clientId: string }, sub: string, sid: string) => Promise<void>;
    };
    const send = clientModel.backchannelLogout;
    clientModel.backchannelLogout = async function queue(sub, sid) {
      await deps.stores.backchannelLogouts.queue({ instanceId: instance.id, clientId: this.clientId, sub, sid });
      options.backchannelQueued?.();
    };
    const sendBackchannelLogout = async ({ clientId, sub, sid }: { clientId: string; sub: string; sid: string }) => {
      const client = await provider.Client.find(clientId);
      if (!client?.backchannelLogoutUri) return false;
      await send.call(client, sub, sid);
      return true;
    };
    const callback = provider.callback();
    return { instance, mountPath, issuer, provider, handle: async (req, res) => void (await callback(req, res)), sendBackchannelLogout };
  };

  return {
    get size() {
      return built.size;
    },
    async forSlug(slug) {
      const instance = await deps.stores.instances.findBySlug(slug);
      const cached = built.get(slug);
      if (!instance) {
        built.delete(slug);
        return null;
      }
      if (cached && cached.instanceId === instance.id && fresh(cached)) {
        built.delete(slug);
        built.set(slug, cached);
        return cached.provider;
      }
      const entry = { instanceId: instance.id, builtAt: deps.clock.now().getTime(), provider: build(instance) };
      built.delete(slug);
      built.set(slug, entry);
      // A failed build (database down) is not cached: the next request tries again.
      entry.provider.catch(() => built.get(slug) === entry && built.delete(slug));
      while (built.size > max) built.delete(built.keys().next().value!);
      return entry.provider;
    },
  };
}
