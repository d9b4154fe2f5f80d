/**
 * An instance's protected applications (SPEC §7, docs/forward-auth.md): create, list, change,
 * delete. Each has one internal OpenID Connect client, created, changed and deleted with it in the
 * same transaction, through which keyward signs users in on the application's host. Every change
 * is an audit event in that transaction; a refused input changes nothing.
 */
import { randomId } from '../../crypto/random.ts';
import { changeEvent, type AuditAction, type NewAuditEvent } from '../audit/audit-event.ts';
import type { Deps } from '../shared/deps.ts';
import type { TenantStores } from '../shared/stores.ts';
import { DomainError, invalidInput } from '../shared/errors.ts';
import type { ClientChanger } from '../oidc/manage-oidc-clients.ts';
import type { OidcClientChange, StoredOidcClient } from '../oidc/oidc-client-store.ts';
import { MAX_CLIENTS } from '../oidc/oidc-client.ts';
import { randomToken } from '../../crypto/random.ts';
import { MAX_APPS, parseAppFields, type ProtectedApp, type ProtectedAppInput, type ProtectedAppPatch } from './protected-app.ts';

/** The path on an application's host where the proxy hands the sign-in's answer to keyward. */
export const CALLBACK_PATH = '/.keyward/callback';

/** The associated data of the client's sealed secret: the same as every client's (manage-oidc-clients.ts). */
const sealContext = (instanceId: string, clientId: string) => `oidc-client-secret:${instanceId}:${clientId}`;

/**
 * The client's redirect URIs: https on every host; http as well only while keyward itself runs on
 * http (development and tests). Why: the code travels in that URL, and in production it must not
 * cross the network in clear text (RFC 9700 §2.6).
 */
export function callbackUris(publicUrl: string, hosts: string[]): string[] {
  const http = publicUrl.startsWith('http:');
  return hosts.flatMap((host) => [`https://${host}${CALLBACK_PATH}`, ...(http ? [`http://${host}${CALLBACK_PATH}`] : [])]);
}

/**
 * The client's fields: the code flow only (no refresh token: a forward session lives as long as
 * the keyward session it is bound to, and asks again after), PKCE as for every client.
 */
function clientFields(deps: Deps, app: Pick<ProtectedApp, 'name' | 'hosts'>): OidcClientChange {
  return {
    name: `${app.name} (protected application)`.slice(0, 100),
    redirectUris: callbackUris(deps.publicUrl, app.hosts),
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    defaultAcrValues: [],
    grantTypes: ['authorization_code'],
    scopes: [],
  };
}

const notFound = () => new DomainError('not_found', 'No such protected application in this instance.');
const hostTaken = () => new DomainError('host_taken', 'One of these hosts is already another protected application’s.', { field: 'hosts' });

function event(
  deps: Deps,
  by: ClientChanger,
  action: AuditAction,
  app: ProtectedApp,
  details: Record<string, unknown> = {},
): NewAuditEvent {
  return changeEvent(deps.clock.now(), by, action, { id: app.id, label: app.name }, details);
}

async function setHosts(stores: TenantStores, appId: string, hosts: string[]): Promise<void> {
  if (!(await stores.protectedApps.replaceHosts(appId, hosts))) throw hostTaken();
}

/** Registers an application and its client; `host_taken` when a host is any other application's. */
export async function createProtectedApp(deps: Deps, by: ClientChanger, input: ProtectedAppInput): Promise<ProtectedApp> {
  const fields = parseAppFields(input);
  const now = deps.clock.now();
  const app: ProtectedApp = { id: randomId(), ...fields, clientId: randomId(), createdAt: now, updatedAt: now };
  // A confidential client: the code is redeemed by keyward itself, which keeps the secret sealed.
  const secret = randomToken(32);
  const client: StoredOidcClient = {
    clientId: app.clientId,
    ...clientFields(deps, app),
    public: false,
    sealedSecret: deps.secretBox.seal(Buffer.from(secret, 'utf8'), sealContext(by.instanceId, app.clientId)),
    ownerAppId: app.id,
    createdAt: now,
    updatedAt: now,
  };
  await deps.stores.transaction(async (all) => {
    const stores = all.forInstance(by.instanceId);
    if (!(await stores.oidcClients.insert(client, MAX_CLIENTS))) {
      throw invalidInput('clients', `An instance has at most ${MAX_CLIENTS} applications.`);
    }
    if (!(await stores.protectedApps.insert(app, MAX_APPS)))
      throw invalidInput('apps', `An instance has at most ${MAX_APPS} protected applications.`);
    await setHosts(stores, app.id, app.hosts);
    await all.audit.record([
      event(deps, by, 'protected_app.created', app, { hosts: app.hosts, rules: app.rules, cookieDomain: app.cookieDomain }),
    ]);
  });
  return (await deps.stores.forInstance(by.instanceId).protectedApps.find(app.id)) ?? app;
}

/** The instance's applications, oldest first. */
export async function listProtectedApps(deps: Deps, instanceId: string): Promise<ProtectedApp[]> {
  return deps.stores.forInstance(instanceId).protectedApps.list(MAX_APPS);
}

/** One application; `not_found` for an id of none here (another instance's too). */
export async function getProtectedApp(deps: Deps, instanceId: string, appId: string): Promise<ProtectedApp> {
  const app = await deps.stores.forInstance(instanceId).protectedApps.find(appId);
  if (!app) throw notFound();
  return app;
}

/** Changes what the patch names, checked as a whole; new hosts get redirect URIs on the client at once. */
export async function updateProtectedApp(deps: Deps, by: ClientChanger, appId: string, patch: ProtectedAppPatch): Promise<ProtectedApp> {
  return deps.stores.transaction(async (all) => {
    const stores = all.forInstance(by.instanceId);
    const before = await stores.protectedApps.find(appId);
    if (!before) throw notFound();
    const fields = parseAppFields({
      name: patch.name ?? before.name,
      hosts: patch.hosts ?? before.hosts,
      rules: patch.rules ?? before.rules,
      cookieDomain: patch.cookieDomain === undefined ? before.cookieDomain : patch.cookieDomain,
    });
    const now = deps.clock.now();
    if (!(await stores.protectedApps.update(appId, fields, now))) throw notFound();
    const hostsChanged = JSON.stringify([...fields.hosts].sort()) !== JSON.stringify(before.hosts);
    if (hostsChanged) await setHosts(stores, appId, fields.hosts);
    if (hostsChanged || fields.name !== before.name) {
      if (!(await stores.oidcClients.update(before.clientId, clientFields(deps, fields), now, appId))) throw notFound();
    }
    const after = (await stores.protectedApps.find(appId))!;
    const keys = (['name', 'hosts', 'rules', 'cookieDomain'] as const).filter(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
    );
    if (keys.length > 0) {
      const pick = (app: ProtectedApp) => Object.fromEntries(keys.map((key) => [key, app[key]]));
      await all.audit.record([event(deps, by, 'protected_app.updated', after, { before: pick(before), after: pick(after) })]);
    }
    return after;
  });
}

/** Deletes an application, its client, hosts and forward sessions: its next proxied request is refused. */
export async function deleteProtectedApp(deps: Deps, by: ClientChanger, appId: string): Promise<void> {
  await deps.stores.transaction(async (all) => {
    const stores = all.forInstance(by.instanceId);
    const deleted = await stores.protectedApps.delete(appId);
    if (!deleted) throw notFound();
    await stores.oidcClients.delete(deleted.clientId, appId);
    await all.audit.record([event(deps, by, 'protected_app.deleted', deleted, { hosts: deleted.hosts })]);
  });
}
