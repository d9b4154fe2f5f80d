/**
 * An instance's OpenID Connect clients (SPEC §6): create, list, read, change, delete, rotate the
 * secret. The admin API and the CLI call these with who acts; every change is an audit event in
 * the same transaction, and a refused input changes nothing.
 */
import { randomId, randomToken } from '../../crypto/random.ts';
import { changeEvent, userActor, type AuditClient, type ConfigurationChanger, type NewAuditEvent } from '../audit/audit-event.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { Deps } from '../shared/deps.ts';
import { DomainError, invalidInput } from '../shared/errors.ts';
import type { AuditAction } from '../audit/audit-event.ts';
import type { OidcClientChange, StoredOidcClient } from './oidc-client-store.ts';
import {
  MAX_CLIENTS,
  parseClientFields,
  withDefaults,
  type OidcClient,
  type OidcClientInput,
  type OidcClientPatch,
} from './oidc-client.ts';

/** Who changes an instance's clients, and from where (the audit event's actor and client). */
export type ClientChanger = ConfigurationChanger;

/** A client with its secret in plaintext: in the one answer that creates or rotates it, never again. */
export interface ClientWithSecret {
  client: OidcClient;
  /** null for a public client. */
  clientSecret: string | null;
}

/** An administrator of the active session's instance, with a fresh code when 2FA is on (SPEC rule 12). */
export function byAdmin(deps: Deps, active: ActiveSession, client: AuditClient): ClientChanger {
  requireAdmin(deps, active);
  return { instanceId: active.instance.id, actor: userActor(active.user), client };
}

/** The associated data of a sealed secret: a secret copied onto another client's row does not open. */
export const sealContext = (instanceId: string, clientId: string) => `oidc-client-secret:${instanceId}:${clientId}`;

/**
 * A new client secret: 256 bits from the CSPRNG (OWASP ASVS 5.0 11.5.1 asks at least 128 for
 * anything meant to be non-guessable), sealed at rest with the secret box (AES-256-GCM bound to
 * instance and client id). Why sealed and not hashed: oidc-provider compares the plaintext secret
 * itself (in constant time) for client_secret_basic; a database dump alone still yields nothing.
 */
function newSecret(deps: Deps, instanceId: string, clientId: string): { secret: string; sealed: string } {
  const secret = randomToken(32);
  return { secret, sealed: deps.secretBox.seal(Buffer.from(secret, 'utf8'), sealContext(instanceId, clientId)) };
}

/**
 * The client the instance's provider authenticates, with its secret opened, read from the store
 * on each call: a change, rotation or deletion counts from the next request, in every process.
 * null when the instance has no such client, or its secret does not open (sealed under a key no
 * longer configured): an unknown client, never one without a secret.
 */
export async function findProviderClient(deps: Deps, instanceId: string, clientId: string): Promise<ClientWithSecret | null> {
  const stored = await deps.stores.forInstance(instanceId).oidcClients.find(clientId);
  if (!stored) return null;
  if (stored.sealedSecret === null) return { client: publicView(stored), clientSecret: null };
  const secret = deps.secretBox.open(stored.sealedSecret, sealContext(instanceId, clientId));
  return secret ? { client: publicView(stored), clientSecret: secret.toString('utf8') } : null;
}

function event(
  deps: Deps,
  by: ClientChanger,
  action: AuditAction,
  client: OidcClient,
  details: Record<string, unknown> = {},
): NewAuditEvent {
  return changeEvent(deps.clock.now(), by, action, { id: client.clientId, label: client.name }, details);
}

/** The fields that differ, whole (a list of URIs is one field), as `{before, after}`. */
function changedFields(before: OidcClientChange, after: OidcClientChange) {
  const keys = (Object.keys(after) as Array<keyof OidcClientChange>).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
  };
}

const publicView = ({ sealedSecret: _sealed, ownerAppId: _owner, ...client }: StoredOidcClient): OidcClient => client;
const notFound = () => new DomainError('not_found', 'No such application in this instance.');

/** Registers a client; a confidential one gets its secret, returned here once. */
export async function createOidcClient(deps: Deps, by: ClientChanger, input: OidcClientInput): Promise<ClientWithSecret> {
  const isPublic = input.public ?? false;
  const fields = parseClientFields(withDefaults(input), isPublic);
  const clientId = randomId();
  const now = deps.clock.now();
  const secret = isPublic ? null : newSecret(deps, by.instanceId, clientId);
  const stored: StoredOidcClient = {
    clientId,
    ...fields,
    public: isPublic,
    sealedSecret: secret?.sealed ?? null,
    ownerAppId: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.stores.transaction(async (stores) => {
    if (!(await stores.forInstance(by.instanceId).oidcClients.insert(stored, MAX_CLIENTS))) {
      throw invalidInput('clients', `An instance has at most ${MAX_CLIENTS} applications.`);
    }
    await stores.audit.record([event(deps, by, 'oidc_client.created', stored, { public: isPublic, grantTypes: fields.grantTypes })]);
  });
  return { client: publicView(stored), clientSecret: secret?.secret ?? null };
}

/** The instance's clients, oldest first (at most MAX_CLIENTS exist). */
export async function listOidcClients(deps: Deps, instanceId: string): Promise<OidcClient[]> {
  return deps.stores.forInstance(instanceId).oidcClients.list(MAX_CLIENTS);
}

/** One client of the instance; `not_found` for an id of no client here (another instance's too). */
export async function getOidcClient(deps: Deps, instanceId: string, clientId: string): Promise<OidcClient> {
  const stored = await deps.stores.forInstance(instanceId).oidcClients.find(clientId);
  // A protected application's client is the application's to show (SPEC §7), not this API's.
  if (!stored || stored.ownerAppId !== null) throw notFound();
  return publicView(stored);
}

/** Changes what the patch names; the result is checked as a whole, and the next request sees it. */
export async function updateOidcClient(deps: Deps, by: ClientChanger, clientId: string, patch: OidcClientPatch): Promise<OidcClient> {
  return deps.stores.transaction(async (stores) => {
    const clients = stores.forInstance(by.instanceId).oidcClients;
    const before = await clients.find(clientId);
    if (!before || before.ownerAppId !== null) throw notFound();
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const fields = parseClientFields({ ...publicView(before), ...defined }, before.public);
    const after = await clients.update(clientId, fields, deps.clock.now());
    if (!after) throw notFound();
    const changes = changedFields(before, fields);
    if (Object.keys(changes.after).length > 0) await stores.audit.record([event(deps, by, 'oidc_client.updated', after, changes)]);
    return after;
  });
}

/** Deletes a client: its next request is refused (its tokens already issued expire with their TTLs). */
export async function deleteOidcClient(deps: Deps, by: ClientChanger, clientId: string): Promise<void> {
  await deps.stores.transaction(async (stores) => {
    const deleted = await stores.forInstance(by.instanceId).oidcClients.delete(clientId);
    if (!deleted) throw notFound();
    await stores.audit.record([event(deps, by, 'oidc_client.deleted', deleted)]);
  });
}

/** A new secret for a confidential client, returned once; the old one stops working at once. */
export async function rotateOidcClientSecret(deps: Deps, by: ClientChanger, clientId: string): Promise<ClientWithSecret> {
  const secret = newSecret(deps, by.instanceId, clientId);
  return deps.stores.transaction(async (stores) => {
    const clients = stores.forInstance(by.instanceId).oidcClients;
    const client = await clients.updateSecret(clientId, secret.sealed, deps.clock.now());
    if (!client) {
      if ((await clients.find(clientId))?.ownerAppId === null)
        throw invalidInput('clientId', 'A public application has no secret to rotate.');
      throw notFound();
    }
    await stores.audit.record([event(deps, by, 'oidc_client.secret_rotated', client)]);
    return { client, clientSecret: secret.secret };
  });
}
