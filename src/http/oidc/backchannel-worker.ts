/**
 * Delivers back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0; docs/oidc.md
 * "Logout"): claims due rows of the queue, has the instance's provider sign and POST each token
 * (the library's own `client.backchannelLogout(sub, sid)`, MountedProvider.sendBackchannelLogout),
 * marks it delivered on a 200 or 204, and on failure retries with the mail outbox's exponential
 * backoff until it gives up. The queue is in the database: a restart, or another process, picks
 * up what is due.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { addSeconds } from '../../domain/shared/clock.ts';
import type { OidcRegistry } from './provider-registry.ts';
import { backoffSeconds, drainLoop, type DrainLoop } from '../../domain/shared/drain-loop.ts';

export interface BackchannelWorkerOptions {
  pollSeconds?: number;
  batchSize?: number;
  leaseSeconds?: number;
  /** A token still failing this long after it was queued is given up. */
  giveUpAfterSeconds?: number;
  maxBackoffSeconds?: number;
}

/** wake after a token was queued; drain returns how many tokens were delivered. */
export type BackchannelWorker = DrainLoop;

export function createBackchannelWorker(
  deps: Deps,
  registry: OidcRegistry,
  log: FastifyBaseLogger,
  options: BackchannelWorkerOptions = {},
): BackchannelWorker {
  const store = deps.stores.backchannelLogouts;
  const pollMs = (options.pollSeconds ?? 5) * 1000;
  const batchSize = options.batchSize ?? 10;
  // The library gives each POST 2.5 s; a batch is done well within the lease.
  const leaseSeconds = options.leaseSeconds ?? 120;
  // Why give up at all: a relying party that never answers must not be retried forever; a day
  // covers its restarts, and its own sessions end with their tokens' lifetimes anyway.
  const giveUpAfterSeconds = options.giveUpAfterSeconds ?? 24 * 60 * 60;
  const maxBackoffSeconds = options.maxBackoffSeconds ?? 15 * 60;
  async function drainOnce(): Promise<number> {
    let delivered = 0;
    // Bounded: each pass claims only due rows and moves every claimed row out of "due".
    for (let pass = 0; pass < 1000; pass += 1) {
      const now = deps.clock.now();
      const batch = await store.claimDue(now, addSeconds(now, leaseSeconds), batchSize);
      if (batch.length === 0) break;
      for (const delivery of batch) {
        try {
          const mounted = delivery.slug ? await registry.forSlug(delivery.slug) : null;
          // The instance (or, below, the client or its URI) is gone: nobody to tell.
          const sent = mounted && mounted.instance.id === delivery.instanceId ? await mounted.sendBackchannelLogout(delivery) : false;
          await store.markDelivered(delivery, deps.clock.now());
          if (sent) delivered += 1;
        } catch (error) {
          const failedAt = deps.clock.now();
          const dead = failedAt.getTime() - delivery.createdAt.getTime() >= giveUpAfterSeconds * 1000;
          const retryAt = addSeconds(failedAt, backoffSeconds(delivery.attempts, maxBackoffSeconds));
          await store.markFailed(delivery, String((error as Error)?.message ?? error), retryAt, dead);
          log.warn(
            {
              clientId: delivery.clientId,
              instanceId: delivery.instanceId,
              attempts: delivery.attempts,
              dead,
              err: (error as Error)?.message,
            },
            'back-channel logout delivery failed',
          );
        }
      }
    }
    return delivered;
  }

  return drainLoop(drainOnce, pollMs, (error: unknown) => log.error({ err: error }, 'back-channel logout drain failed'));
}
