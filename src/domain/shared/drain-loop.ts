/**
 * The loop of a worker that drains a durable queue (the mail outbox, the back-channel logout
 * queue): one drain at a time (a wake while one runs asks for one more pass instead of a second
 * drain), a poll every `pollMs` between `start` and `stop`, and the retry backoff both use.
 */

/** The retry delay after `attempts` failures: 5 s, doubling, at most `maxSeconds`. */
export function backoffSeconds(attempts: number, maxSeconds: number): number {
  return Math.min(maxSeconds, 5 * 2 ** Math.max(0, attempts - 1));
}

export interface DrainLoop {
  /** Asks for a drain soon (after something was queued); nothing while stopped. */
  wake(): void;
  /** Drains until nothing is due; returns what `drainOnce` counted over the passes. */
  drain(): Promise<number>;
  start(): void;
  /** Stops polling and waits for a drain under way. */
  stop(): Promise<void>;
}

/**
 * `onError` reports a failed drain of a poll or a wake (the queue keeps its rows for the next one).
 * `wakeDelayMs`: a wake drains after this long, and the wakes meanwhile share that drain. Why: a
 * drain costs statements whatever it finds (at least its claim), and under load every login
 * queues a mail; gathered, one drain sends the mail of many (issue 16).
 */
export function drainLoop(drainOnce: () => Promise<number>, pollMs: number, onError: (error: unknown) => void, wakeDelayMs = 0): DrainLoop {
  let timer: NodeJS.Timeout | null = null;
  let wakeTimer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = true;

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await drainOnce();
      } while (again);
      return total;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  function tick(): void {
    drain()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  }

  return {
    wake() {
      if (stopped) return;
      if (wakeDelayMs <= 0) {
        drain().catch(onError);
        return;
      }
      wakeTimer ??= setTimeout(() => {
        wakeTimer = null;
        if (!stopped) drain().catch(onError);
      }, wakeDelayMs);
    },
    drain,
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (wakeTimer) clearTimeout(wakeTimer);
      wakeTimer = null;
      await running?.catch(() => 0);
    },
  };
}
