/**
 * Wiring shared by the server and the CLI: config → database → migrations → stores → deps.
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createPasswordHasher } from './crypto/password.ts';
import { systemClock, type Clock } from './domain/shared/clock.ts';
import type { Deps } from './domain/shared/deps.ts';
import { openDatabase, type DatabaseHandle } from './storage/connect.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { createStores } from './storage/stores.ts';
import { createOutboxWorker, type OutboxWorker } from './mail/outbox-worker.ts';
import { devMailboxTransport, smtpTransport } from './mail/transport.ts';

export interface Runtime {
  deps: Deps;
  database: DatabaseHandle;
  mail: OutboxWorker;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, log: Logger, clock: Clock = systemClock): Promise<Runtime> {
  const database = await openDatabase(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
  );
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    const stores = createStores(database.db);
    const transport = config.smtpUrl
      ? smtpTransport(config.smtpUrl, config.mailFrom, config.publicUrl.hostname)
      : devMailboxTransport(stores.devMailbox, clock);
    const mail = createOutboxWorker(stores.outbox, transport, clock, log);
    const deps: Deps = {
      stores,
      hasher: await createPasswordHasher(availableParallelism()),
      clock,
      publicUrl: config.publicUrl.toString(),
      mailQueued: () => mail.wake(),
    };
    return {
      deps,
      database,
      mail,
      async close() {
        await mail.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The dev mailbox exists only without SMTP and on a loopback listener (SPEC §4, CFG-01). */
export function devMailboxAllowed(config: Config): boolean {
  return config.smtpUrl === null && LOOPBACK.test(config.host);
}
