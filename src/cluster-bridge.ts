/**
 * Metrics across the workers of `keyward serve --workers N`, over the cluster's IPC channel.
 * Each worker keeps its own prom-client registry; a scrape (on a worker's public `/metrics`, or
 * the primary's management port) asks the primary, which collects every listening worker's
 * registry as JSON and merges them with prom-client's AggregatorRegistry.aggregate: each metric
 * by its `aggregator` (sum unless a metric says otherwise, see DATABASE_WIDE in http/metrics.ts).
 *
 * Why not prom-client's clusterMetrics(): it asks every connected worker, also one still
 * starting that cannot answer yet, and then fails the scrape after 5 s; the primary here asks
 * only the workers that listen, and a worker that exits mid-scrape is left out (its counters are
 * gone with it).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const COLLECT = 'keyward:metrics-collect';
const COLLECTED = 'keyward:metrics-collected';
const SCRAPE = 'keyward:metrics-scrape';
const SCRAPED = 'keyward:metrics-scraped';
const TIMEOUT_MS = 5_000;

interface Message {
  type?: string;
  id?: number;
  metrics?: object[];
  body?: string;
  contentType?: string;
  error?: string;
}

const isMessage = (value: unknown): value is Message => typeof value === 'object' && value !== null && 'type' in value;

/** Worker: answers the primary's request for this process's metrics. */
export function answerPrimaryMetrics(registry: Registry): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: message.id, metrics }),
      (error: unknown) => process.send?.({ type: COLLECTED, id: message.id, error: String(error) }),
    );
  });
}

let nextScrape = 0;
const scrapes = new Map<number, { resolve: (value: { contentType: string; body: string }) => void; reject: (error: Error) => void }>();

/** Worker: the sum over all workers, from the primary (what the public `/metrics` answers in a cluster). */
export function scrapeThroughPrimary(): Promise<{ contentType: string; body: string }> {
  listenForScrapes();
  const id = nextScrape++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      scrapes.delete(id);
      reject(new Error('the primary did not answer the metrics scrape in time'));
    }, TIMEOUT_MS);
    scrapes.set(id, {
      resolve: (value) => (clearTimeout(timer), resolve(value)),
      reject: (error) => (clearTimeout(timer), reject(error)),
    });
    process.send!({ type: SCRAPE, id });
  });
}

let listening = false;
function listenForScrapes(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.type !== SCRAPED || message.id === undefined) return;
    const pending = scrapes.get(message.id);
    if (!pending) return;
    scrapes.delete(message.id);
    if (message.error !== undefined) pending.reject(new Error(message.error));
    else pending.resolve({ contentType: message.contentType!, body: message.body! });
  });
}

/** Primary: collects and merges the metrics of `workers()` (the listening ones). */
export function createClusterMetrics(workers: () => Worker[]): { scrape(): Promise<{ contentType: string; body: string }> } {
  let nextCollect = 0;
  const collecting = new Map<number, { waiting: Set<Worker>; results: object[][]; done: (error?: Error) => void }>();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === COLLECTED && message.id !== undefined) {
      const round = collecting.get(message.id);
      if (!round || !round.waiting.delete(worker)) return;
      if (message.error !== undefined) return round.done(new Error(`worker ${worker.id}: ${message.error}`));
      round.results.push(message.metrics ?? []);
      if (round.waiting.size === 0) round.done();
    } else if (message.type === SCRAPE && message.id !== undefined) {
      scrape().then(
        ({ contentType, body }) => worker.send({ type: SCRAPED, id: message.id, contentType, body }),
        (error: unknown) => worker.send({ type: SCRAPED, id: message.id, error: String(error) }),
      );
    }
  });
  // A worker that exits while asked is left out: what it counted is gone with it.
  cluster.on('exit', (worker) => {
    for (const round of collecting.values()) if (round.waiting.delete(worker) && round.waiting.size === 0) round.done();
  });

  async function scrape(): Promise<{ contentType: string; body: string }> {
    const asked = workers().filter((worker) => worker.isConnected());
    const id = nextCollect++;
    const results = await new Promise<object[][]>((resolve, reject) => {
      const round = {
        waiting: new Set(asked),
        results: [] as object[][],
        done: (error?: Error) => {
          clearTimeout(timer);
          collecting.delete(id);
          if (error) reject(error);
          else resolve(round.results);
        },
      };
      const timer = setTimeout(() => round.done(new Error('a worker did not answer the metrics scrape in time')), TIMEOUT_MS);
      collecting.set(id, round);
      if (asked.length === 0) return round.done();
      for (const worker of asked) worker.send({ type: COLLECT, id });
    });
    const merged = AggregatorRegistry.aggregate(results);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
  return { scrape };
}
