/**
 * Back-channel logout tokens owed to relying parties (OpenID Connect Back-Channel Logout 1.0;
 * docs/oidc.md "Logout"): one per (instance, client, sid), queued when a keyward session with
 * provider sessions ends (a trigger, migration 0021) or when the provider logs a session out
 * itself (RP-initiated logout), delivered by a worker with retries, once.
 */
export interface BackchannelDelivery {
  instanceId: string;
  /** The instance's slug now, to reach its provider; null when the instance is gone. */
  slug: string | null;
  clientId: string;
  sid: string;
  sub: string;
  /** Attempts so far, this claim included. */
  attempts: number;
  createdAt: Date;
}

export type BackchannelKey = Pick<BackchannelDelivery, 'instanceId' | 'clientId' | 'sid'>;

export interface BackchannelLogoutStore {
  /** Queues a token for (instance, client, sid) unless one is queued or was delivered already. */
  queue(delivery: BackchannelKey & { sub: string }): Promise<void>;
  /**
   * Claims up to `limit` due deliveries (not delivered, not dead, due at `now`, not claimed by a
   * lease still running) until `leaseUntil`; concurrent workers never claim the same row.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<BackchannelDelivery[]>;
  markDelivered(key: BackchannelKey, now: Date): Promise<void>;
  /** Due again at `retryAt`; with `dead`, given up. */
  markFailed(key: BackchannelKey, error: string, retryAt: Date, dead: boolean): Promise<void>;
}
