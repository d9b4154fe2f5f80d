/**
 * Composition root: config → runtime → buildApp → listen; prints the first-run link.
 *
 * Two streams, never mixed: stdout carries pino's JSON log lines (one object per line, for a log
 * collector), stderr carries the few lines written for the person who started keyward (where it
 * listens, where mail goes, the one-time setup link), so the link stands on its own in a terminal
 * and `npm start > keyward.log` keeps the JSON apart.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { buildApp } from './http/app.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import { buildManagementApp, type Operations } from './http/plugins/operations.ts';
import { schemaIsCurrent } from './storage/migrate.ts';
import { openRuntime } from './runtime.ts';
import { openFirstRun } from './domain/setup/first-run.ts';
import { startControlSocket } from './cli/control-socket.ts';
import { readTwoFactorAdoption, runHousekeeping } from './domain/maintenance/clean-up.ts';
import type { TwoFactorAdoptionCounts } from './domain/maintenance/housekeeping-store.ts';
// The Node floor's one home is package.json "engines"; the check is shared with bin/keyward.mjs.
import { requireSupportedNode } from '../scripts/node-version.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  requireSupportedNode();
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  let metrics: Metrics | null = null;
  // The 2FA adoption gauges' figures, read at start and on each housekeeping tick (issue 15).
  let adoption: TwoFactorAdoptionCounts | null = null;
  const runtime = await openRuntime(config, log, undefined, { observeHash: (kind, seconds) => metrics?.observeHash(kind, seconds) });
  metrics = createMetrics({
    hashQueue: () => runtime.deps.hasher.stats(),
    outbox: () => runtime.deps.stores.outbox.stats(),
    pool: () => runtime.database.poolStats(),
    adoption: () => adoption,
  });
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
  const management = config.managementPort !== null ? await buildManagementApp(operations) : null;
  if (management) await management.listen({ port: config.managementPort!, host: config.host });
  runtime.mail.start();
  app.oidcBackchannel.start();
  const readAdoption = () =>
    readTwoFactorAdoption(runtime.deps, config.metricsInstanceLabels)
      .then((counts) => (adoption = counts))
      .catch((error) => log.error({ err: error }, 'reading the 2FA adoption failed'));
  void readAdoption();
  // Every process ticks; runHousekeeping lets one of them run per interval (issue 15).
  const housekeeping = setInterval(() => {
    void readAdoption();
    runHousekeeping(runtime.deps, config.housekeepingIntervalSeconds)
      .then((counts) => log.debug({ counts, skipped: counts === null }, 'housekeeping'))
      .catch((error) => log.error({ err: error }, 'housekeeping failed'));
  }, config.housekeepingIntervalSeconds * 1000);
  housekeeping.unref();
  // With the embedded database this process owns the data; the CLI reaches it through here.
  const stopControl = runtime.database.engine === 'pglite' ? await startControlSocket(config.dataDir, runtime.deps, log) : async () => {};

  const engine = runtime.database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const lines = [`keyward is listening on ${config.publicUrl.origin} (database: ${engine})`];
  if (management) lines.push(`Metrics and health checks on http://${config.host}:${config.managementPort}/metrics`);
  lines.push(
    devMailbox
      ? `Mail goes to the dev mailbox (no SMTP_URL): ${new URL('/dev/mailbox', config.publicUrl).href}`
      : config.smtpUrl
        ? 'Mail is sent through SMTP_URL.'
        : 'No SMTP_URL and the dev mailbox is off (KEYWARD_DEV_MAILBOX; only on a loopback PUBLIC_URL without TRUST_PROXY): mail stays queued in the outbox until SMTP_URL is set.',
  );
  const setupLink = await openFirstRun(runtime.deps);
  if (setupLink) {
    lines.push(
      '',
      'No instance exists yet. Open this one-time link to create the first instance and its administrator:',
      `  ${setupLink}`,
      '',
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  // Graceful drain (SPEC §8): readiness answers 503 at once, so the load balancer stops sending;
  // after KEYWARD_DRAIN_SECONDS the listener closes (no new connections; requests in flight
  // finish, and keep-alive connections get 503 for anything new), the outbox worker finishes its
  // batch and stops, then the database closes. A second signal does not cut the drain short.
  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string) =>
    (stopping ??= (async () => {
      operations.state.draining = true;
      log.info({ signal, drainSeconds: config.drainSeconds }, 'draining');
      clearInterval(housekeeping);
      await new Promise((resolve) => setTimeout(resolve, config.drainSeconds * 1000));
      await app.close();
      await stopControl();
      await management?.close();
      await runtime.close();
      log.info('stopped');
      process.exit(0);
    })());
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    (error instanceof Error && (error.name === 'DataDirLockedError' || error.name === 'KeyMismatchError'))
  ) {
    process.stderr.write(`keyward: ${error.message}\n`);
  } else {
    process.stderr.write(`keyward failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
});
