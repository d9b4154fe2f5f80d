/**
 * `keyward serve --workers N`: the primary of a node:cluster. It forks N worker processes that
 * share the listening port (src/server.ts with `worker: true`), and does what is done once per
 * start or once per machine: migrations and the key check before any worker starts (one runtime
 * of its own), the first-run link (openFirstRun replaces the link on every call, so N calls would
 * leave N-1 dead links printed), the start-up lines, housekeeping, and the management port with
 * the workers' metrics merged (cluster-bridge.ts). It restarts a worker that dies, and on SIGTERM
 * or SIGINT lets every worker drain (SPEC §8) before it exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Config } from './config.ts';
import { openRuntime } from './runtime.ts';
import { openFirstRun } from './domain/setup/first-run.ts';
import { schemaIsCurrent } from './storage/migrate.ts';
import { buildManagementApp, type OperationEndpoints } from './http/plugins/operations.ts';
import { createClusterMetrics } from './cluster-bridge.ts';
import { startHousekeeping, startupLines } from './server.ts';

/** A worker that ran this long before it died counts as healthy: the backoff starts over. */
const STABLE_MS = 60_000;
const FIRST_RESTART_MS = 500;
const MAX_RESTART_MS = 30_000;

const here = fileURLToPath(import.meta.url);
/** The worker's entry: dist/cluster-worker.js next to this file (or .ts when run from src/). */
const workerEntry = path.join(path.dirname(here), `cluster-worker${path.extname(here)}`);

/** A worker exited before it listened (it printed why on stderr); starting more would fail alike. */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

export async function runPrimary(config: Config, workers: number): Promise<void> {
  const log = pino({ level: config.logLevel });
  // The primary never hashes passwords: one slot for the runtime's start-up hash.
  const runtime = await openRuntime({ ...config, hashConcurrency: 1 }, log);
  // Why divide the cores: N workers each defaulting to every core would queue N × cores argon2id
  // computations on the machine, each slower, and the per-process queue limits would no longer
  // bound the wait (issue 15). An explicit KEYWARD_HASH_CONCURRENCY wins.
  const hashConcurrency = config.hashConcurrency ?? Math.max(1, Math.floor(availableParallelism() / workers));
  cluster.setupPrimary({ exec: workerEntry, args: [] });

  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  const bornAt = new Map<Worker, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let failures = 0;
  let started = false;
  let stopping: Promise<void> | null = null;
  const clusterMetrics = createClusterMetrics(() => [...listening]);
  const operations: OperationEndpoints = {
    // Ready when a worker listens and the database answers with a current schema.
    ready: async () => listening.size > 0 && (await schemaIsCurrent(runtime.database.db)),
    metrics: { scrape: () => clusterMetrics.scrape() },
    state: { draining: false },
  };

  const fork = () => {
    const worker = cluster.fork({ KEYWARD_HASH_CONCURRENCY: String(hashConcurrency) });
    live.add(worker);
    bornAt.set(worker, Date.now());
    log.info({ worker: worker.id, workerPid: worker.process.pid, hashConcurrency }, 'worker started');
  };

  const allListening = new Promise<void>((resolve, reject) => {
    cluster.on('listening', (worker) => {
      listening.add(worker);
      if (!started && listening.size === workers) {
        started = true;
        resolve();
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      live.delete(worker);
      listening.delete(worker);
      const lived = Date.now() - (bornAt.get(worker) ?? Date.now());
      bornAt.delete(worker);
      if (stopping) {
        if (code !== 0) log.error({ worker: worker.id, workerPid: worker.process.pid, code, signal }, 'worker did not stop cleanly');
        if (live.size === 0) allStopped(code === 0);
        return;
      }
      if (!started) {
        // A worker that cannot start (its error is on stderr) would fail the same way again.
        reject(new WorkerStartError(`worker ${worker.id} exited (${code ?? signal}) before it listened; see its error above`));
        return;
      }
      failures = lived >= STABLE_MS ? 1 : failures + 1;
      const delay = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (failures - 1));
      log.error(
        { worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker exited unexpectedly; starting another',
      );
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork();
      }, delay);
      restarts.add(timer);
    });
  });

  let cleanStop = true;
  let allStopped: (clean: boolean) => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    allStopped = (clean) => {
      cleanStop &&= clean;
      resolve();
    };
  });
  let housekeeping: NodeJS.Timeout | null = null;
  let management: Awaited<ReturnType<typeof buildManagementApp>> | null = null;
  const shutdown = (signal: string) =>
    (stopping ??= (async () => {
      operations.state.draining = true;
      log.info({ signal, workers: live.size, drainSeconds: config.drainSeconds }, 'draining');
      if (housekeeping) clearInterval(housekeeping);
      for (const timer of restarts) clearTimeout(timer);
      // Each worker drains itself (readyz 503, then close after KEYWARD_DRAIN_SECONDS). A signal,
      // not worker.kill(): that disconnects the IPC channel first, and a disconnected worker exits at once.
      for (const worker of live) worker.process.kill('SIGTERM');
      if (live.size > 0) await stopped;
      await management?.close();
      await runtime.close();
      log.info({ clean: cleanStop }, 'stopped');
      process.exit(cleanStop ? 0 : 1);
    })());
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  for (let i = 0; i < workers; i += 1) fork();
  try {
    await allListening;
  } catch (error) {
    for (const worker of live) worker.process.kill('SIGKILL');
    await runtime.close();
    throw error;
  }
  if (config.managementPort !== null) {
    management = await buildManagementApp(operations);
    await management.listen({ port: config.managementPort, host: config.host });
  }
  housekeeping = startHousekeeping(runtime.deps, log, config.housekeepingIntervalSeconds);
  const setupLink = await openFirstRun(runtime.deps);
  process.stderr.write(startupLines(config, { engine: 'PostgreSQL (DATABASE_URL)', management: management !== null, setupLink, workers }));
}
