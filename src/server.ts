/**
 * One keyward server process: config → runtime → buildApp → listen, the management port, the
 * housekeeping interval and the graceful drain on SIGTERM. `npm start` (src/main.ts) and
 * `keyward serve` run it as the only process; `keyward serve --workers N` runs it in each worker
 * (src/cluster.ts), where the primary does what is done once per machine instead.
 *
 * Two streams, never mixed: stdout carries pino's JSON log lines (one object per line, for a log
 * collector), stderr carries the few lines written for the person who started keyward (where it
 * listens, where mail goes, the one-time setup link), so the link stands on its own in a terminal
 * and `npm start > keyward.log` keeps the JSON apart.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { ConfigError, type Config } from './config.ts';
import { buildApp } from './http/app.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import { buildManagementApp, type Operations } from './http/plugins/operations.ts';
import { schemaIsCurrent } from './storage/migrate.ts';
import { openRuntime } from './runtime.ts';
import { openFirstRun } from './domain/setup/first-run.ts';
import { startControlSocket } from './cli/control-socket.ts';
import { readTwoFactorAdoption, runHousekeeping } from './domain/maintenance/clean-up.ts';
import type { TwoFactorAdoptionCounts } from './domain/maintenance/housekeeping-store.ts';
import type { Deps } from './domain/shared/deps.ts';
import { answerPrimaryMetrics, scrapeThroughPrimary } from './cluster-bridge.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerOptions {
  /**
   * A worker of `keyward serve --workers N`: it prints nothing for people, opens no first-run link,
   * runs no housekeeping and no management listener (the primary does each once), and its
   * `/metrics` answers the sum over all workers, asked of the primary.
   */
  worker?: boolean;
}

export async function runServer(config: Config, options: ServerOptions = {}): Promise<void> {
  const worker = options.worker ?? false;
  const log = pino({ level: config.logLevel });
  let metrics: Metrics | null = null;
  // The 2FA adoption gauges' figures, read at start and on each housekeeping interval (issue 15).
  let adoption: TwoFactorAdoptionCounts | null = null;
  const runtime = await openRuntime(config, log, undefined, { observeHash: (kind, seconds) => metrics?.observeHash(kind, seconds) });
  metrics = createMetrics({
    hashQueue: () => runtime.deps.hasher.stats(),
    outbox: () => runtime.deps.stores.outbox.stats(),
    pool: () => runtime.database.poolStats(),
    adoption: () => adoption,
  });
  if (worker) {
    answerPrimaryMetrics(metrics.registry);
    metrics = { ...metrics, scrape: scrapeThroughPrimary };
  }
  const operations: Operations = { ready: () => schemaIsCurrent(runtime.database.db), metrics, state: { draining: false } };
  const devMailbox = config.devMailbox;
  const app = await buildApp(runtime.deps, {
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    logger: { level: config.logLevel },
    devMailbox,
    webDir: path.join(root, 'web', 'dist'),
    operations,
    managementPort: config.managementPort !== null,
  });
  await app.listen({ port: config.port, host: config.host });
  const management = !worker && config.managementPort !== null ? await buildManagementApp(operations) : null;
  if (management) await management.listen({ port: config.managementPort!, host: config.host });
  runtime.mail.start();
  app.oidcBackchannel.start();
  const readAdoption = () =>
    readTwoFactorAdoption(runtime.deps, config.metricsInstanceLabels)
      .then((counts) => (adoption = counts))
      .catch((error) => log.error({ err: error }, 'reading the 2FA adoption failed'));
  void readAdoption();
  const adoptionTimer = setInterval(() => void readAdoption(), config.housekeepingIntervalSeconds * 1000);
  adoptionTimer.unref();
  const housekeeping = worker ? null : startHousekeeping(runtime.deps, log, config.housekeepingIntervalSeconds);
  // With the embedded database this process owns the data; the CLI reaches it through here.
  const stopControl =
    runtime.database.engine === 'pglite' ? await startControlSocket(config.dataDir, runtime.deps, runtime.database, log) : async () => {};

  if (!worker) {
    const engine = runtime.database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)';
    const setupLink = await openFirstRun(runtime.deps);
    process.stderr.write(startupLines(config, { engine, management: management !== null, setupLink }));
  }

  // Graceful drain (SPEC §8): readiness answers 503 at once, so the load balancer stops sending;
  // after KEYWARD_DRAIN_SECONDS the listener closes (no new connections; requests in flight
  // finish, and keep-alive connections get 503 for anything new), the outbox worker finishes its
  // batch and stops, then the database closes. A second signal does not cut the drain short.
  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string) =>
    (stopping ??= (async () => {
      operations.state.draining = true;
      log.info({ signal, drainSeconds: config.drainSeconds }, 'draining');
      if (housekeeping) clearInterval(housekeeping);
      clearInterval(adoptionTimer);
      await new Promise((resolve) => setTimeout(resolve, config.drainSeconds * 1000));
      await app.close();
      await stopControl();
      await management?.close();
      await runtime.close();
      log.info('stopped');
      process.exit(0);
    })());
  // In a cluster the primary forwards SIGTERM; SIGINT from a terminal reaches every process of
  // the group at once. Either way one drain (shutdown is idempotent).
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * Housekeeping's tick, every KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS: every process (in a cluster,
 * its primary) ticks, and runHousekeeping lets one of them run per interval across the database.
 */
export function startHousekeeping(deps: Deps, log: Logger, intervalSeconds: number): NodeJS.Timeout {
  const housekeeping = setInterval(() => {
    runHousekeeping(deps, intervalSeconds)
      .then((counts) => {
        log.debug({ counts, skipped: counts === null }, 'housekeeping');
        // The trace of each prune that removed something (docs/operations.md, "Audit retention and export").
        const prune = counts?.auditPrune;
        if (prune && prune.deleted > 0)
          log.info(
            { deleted: prune.deleted, before: prune.before.toISOString(), batches: prune.batches, more: prune.more },
            'audit events pruned',
          );
        // The embedded engine's vacuums and analyzes (no autovacuum there), and how long the one connection was held.
        const tables = counts?.tables;
        if (tables && tables.vacuumed.length + tables.analyzed.length > 0)
          log.info({ vacuumed: tables.vacuumed, analyzed: tables.analyzed, ms: tables.ms }, 'tables vacuumed and analyzed');
      })
      .catch((error) => log.error({ err: error }, 'housekeeping failed'));
  }, intervalSeconds * 1000);
  housekeeping.unref();
  return housekeeping;
}

/** The start-up lines for the person who started keyward (stderr), printed once per start. */
export function startupLines(
  config: Config,
  what: { engine: string; management: boolean; setupLink: string | null; workers?: number },
): string {
  const processes = what.workers && what.workers > 1 ? `, ${what.workers} worker processes` : '';
  // Behind a proxy PUBLIC_URL is the proxy's address: say where this process listens, and for whom.
  const bound = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const address = bound === config.publicUrl.origin ? bound : `${bound} for ${config.publicUrl.origin}`;
  const lines = [`keyward is listening on ${address} (database: ${what.engine}${processes})`];
  if (what.management) lines.push(`Metrics and health checks on http://${config.host}:${config.managementPort}/metrics`);
  lines.push(
    config.devMailbox
      ? `Mail goes to the dev mailbox (no SMTP_URL): ${new URL('/dev/mailbox', config.publicUrl).href}`
      : config.smtpUrl
        ? 'Mail is sent through SMTP_URL.'
        : 'No SMTP_URL and the dev mailbox is off (KEYWARD_DEV_MAILBOX; only on a loopback PUBLIC_URL without TRUST_PROXY): mail stays queued in the outbox until SMTP_URL is set.',
  );
  if (what.setupLink) {
    lines.push(
      '',
      'No instance exists yet. Open this one-time link to create the first instance and its administrator:',
      `  ${what.setupLink}`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What a start that failed prints (stderr): the message for a setting or a lock, else the stack. */
export function reportStartFailure(error: unknown): void {
  if (
    error instanceof ConfigError ||
    (error instanceof Error && ['DataDirLockedError', 'KeyMismatchError', 'WorkerStartError'].includes(error.name))
  ) {
    process.stderr.write(`keyward: ${error.message}\n`);
  } else {
    process.stderr.write(`keyward failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
}
