/**
 * oidc-provider's adapter interface over the domain's OidcStateStore of one instance. Never the
 * library's in-memory development adapter: state lives in the database, shared by every process
 * and kept across restarts.
 */
import { errors, type Adapter, type AdapterFactory, type AdapterPayload, type ClientMetadata } from 'oidc-provider';
import type { Clock } from '../../domain/shared/clock.ts';
import { addSeconds } from '../../domain/shared/clock.ts';
import { HASHED_STATE_MODELS, storedStateId, type OidcStateStore, type OidcStoredState } from '../../domain/oidc/oidc-state-store.ts';
import { linkedKeywardSession } from './session-link.ts';

/**
 * The payload as the library stored it, with `consumed` (epoch seconds) as its own adapter sets
 * it, and the id (`jti`) a hashed model's row does not keep, from the value it was found by.
 */
function toPayload(state: OidcStoredState | null, jti?: string): AdapterPayload | undefined {
  if (!state) return undefined;
  const payload = { ...(state.payload as AdapterPayload), ...(jti === undefined ? {} : { jti }) };
  return state.consumedAt ? { ...payload, consumed: Math.floor(state.consumedAt.getTime() / 1000) } : payload;
}

/** The payload without its id: the value a hashed model's row must not hold. */
function withoutId(payload: AdapterPayload): AdapterPayload {
  const { jti: _id, ...rest } = payload;
  return rest;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The models made from a user's keyward session, which end with it (docs/oidc.md "Logout"). */
const LINKED_MODELS = new Set([
  'Session',
  'Grant',
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

class StateAdapter implements Adapter {
  /** A bearer model: stored under the id's hash, without the id (oidc-state-store.ts). */
  private readonly hashed: boolean;

  constructor(
    private readonly model: string,
    private readonly store: OidcStateStore,
    private readonly clock: Clock,
  ) {
    this.hashed = HASHED_STATE_MODELS.has(model);
  }

  private key(id: string): string {
    return storedStateId(this.model, id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? addSeconds(this.clock.now(), expiresIn) : null;
    // What a request acting for a keyward session saves is linked to it (session-link.ts); a code
    // or token without one (made at the token endpoint) takes its grant's. An interaction is not:
    // it may outlive the keyward session it began with (a new login at keyward's page replaces it).
    const refs = {
      grantId: text(payload.grantId),
      uid: text(payload.uid),
      userCode: text(payload.userCode),
      keywardSessionId: LINKED_MODELS.has(this.model) ? (linkedKeywardSession() ?? undefined) : null,
    };
    const stored = this.hashed ? withoutId(payload) : payload;
    await this.store.upsert(this.model, this.key(id), stored, expiresAt, refs);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.store.find(this.model, this.key(id), this.clock.now()), this.hashed ? id : undefined);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.store.findByUid(this.model, uid, this.clock.now()));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return toPayload(await this.store.findByUserCode(this.model, userCode, this.clock.now()));
  }

  /**
   * Why refuse a lost race: the library checks `consumed` and then consumes, two steps; two
   * requests with one code could both pass the check. The conditional UPDATE lets one win, and
   * the other gets invalid_grant (RFC 6749 §4.1.2: a code is used once; refresh rotation alike).
   */
  async consume(id: string): Promise<void> {
    if (!(await this.store.consume(this.model, this.key(id), this.clock.now())))
      throw new errors.InvalidGrant(`${this.model} already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.store.destroy(this.model, this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.revokeByGrantId(grantId);
  }
}

/**
 * Clients are not provider state: the library asks the adapter of model `Client` for a client id
 * it has no static entry for (keyward has none). Its answers come from the instance's
 * `oidc_clients` only (`findClient`), never from this table, so no stored state row can become a
 * client; it writes nothing (dynamic registration is off).
 */
function clientAdapter(findClient: (clientId: string) => Promise<ClientMetadata | undefined>): Adapter {
  return {
    upsert: async () => {},
    find: async (id) => await findClient(id),
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => {},
    destroy: async () => {},
    revokeByGrantId: async () => {},
  };
}

export function stateAdapterFactory(
  store: OidcStateStore,
  clock: Clock,
  findClient: (clientId: string) => Promise<ClientMetadata | undefined>,
): AdapterFactory {
  const clients = clientAdapter(findClient);
  return (model) => (model === 'Client' ? clients : new StateAdapter(model, store, clock));
}
