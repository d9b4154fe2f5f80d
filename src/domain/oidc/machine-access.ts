/**
 * Machine access to the admin API (SPEC §6 "machine access"): an access token an instance's
 * provider issued to a `client_credentials` client, presented as `Authorization: Bearer`
 * (RFC 6750 §2.1). The token is the library's opaque format (a random id it stores through the
 * adapter, `oidc_state` model `ClientCredentials`), so a revoked or expired one stops working at
 * once, and the lookup is one statement (docs/oidc.md, "Machine access").
 */
import type { Instance } from '../instance/instance.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { MACHINE_SCOPES, type GrantType, type MachineScope } from './oidc-client.ts';
import { storedStateId } from './oidc-state-store.ts';

/** What the token store finds behind a live token: its instance, its client as stored now, its scopes. */
export interface FoundMachineToken {
  instance: Instance;
  client: { clientId: string; name: string; grantTypes: GrantType[]; scopes: MachineScope[] };
  /** The token's `scope`, as the provider granted it. */
  scope: string;
}

/**
 * Live `client_credentials` tokens, across instances: the token names its instance (the row's
 * `instance_id`), never the request.
 */
export interface MachineTokenStore {
  /**
   * The token stored under this id (`storedStateId` of the opaque value the client presents), unexpired at `now` and not
   * consumed, with its instance and its client read from `oidc_clients` of the same instance, in
   * one statement; null when any of them is missing or when the id is not unique.
   */
  findLive(tokenId: string, now: Date): Promise<FoundMachineToken | null>;
}

/** A request authenticated by a machine token: an instance, a client, the scopes it holds now. */
export interface MachineCaller {
  kind: 'machine';
  instance: Instance;
  client: { clientId: string; name: string };
  scopes: ReadonlySet<MachineScope>;
}

/** Who calls an admin route: an administrator's full session, or a machine client. */
export type AdminCaller = ActiveSession | MachineCaller;

export function isMachine(caller: AdminCaller): caller is MachineCaller {
  return 'kind' in caller && caller.kind === 'machine';
}

/**
 * The library's opaque tokens: nanoid's URL-safe alphabet, 256 bits by default (43 characters).
 * Anything else is refused before any statement.
 */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43,128}$/;

/**
 * The caller behind a Bearer token, or null (RFC 6750 §3.1 `invalid_token`). The scopes are the
 * token's within the client's current ones: an administrator who takes a scope from a client, or
 * turns it into a sign-in client, takes it from its live tokens too, from the next request.
 */
export async function authenticateMachine(deps: Deps, token: string): Promise<MachineCaller | null> {
  if (!OPAQUE_TOKEN.test(token)) return null;
  const found = await deps.stores.machineTokens.findLive(storedStateId('ClientCredentials', token), deps.clock.now());
  if (!found || !found.client.grantTypes.includes('client_credentials')) return null;
  const allowed = new Set<string>(found.client.scopes);
  const scopes = new Set(
    found.scope
      .split(' ')
      .filter((scope): scope is MachineScope => allowed.has(scope) && (MACHINE_SCOPES as readonly string[]).includes(scope)),
  );
  return { kind: 'machine', instance: found.instance, client: { clientId: found.client.clientId, name: found.client.name }, scopes };
}

/**
 * Why an admin route checks this as well as the HTTP layer: deny by default in the use-case
 * (OWASP ASVS 5.0 V8.2.1), so a route wired to it with the wrong scope still refuses.
 * A human caller passes (the role is checked by requireAdminRole); a machine needs `scope`.
 */
export function requireScope(caller: AdminCaller, scope: MachineScope): void {
  if (isMachine(caller) && !caller.scopes.has(scope)) {
    throw new DomainError('insufficient_scope', `This needs an access token with the scope ${scope}.`);
  }
}
