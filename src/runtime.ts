/**
 * Wiring shared by the server and the CLI: config → database → migrations → stores → deps.
 */
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { loadPasswordBlocklist } from './password-blocklist.ts';
import { createSecretBox, generateKeyText, parseKey, type SecretBox } from './crypto/secret-box.ts';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createPasswordHasher, type HashObserver } from './crypto/password.ts';
import { systemClock, type Clock } from './domain/shared/clock.ts';
import type { Deps } from './domain/shared/deps.ts';
import { openDatabase, type DatabaseHandle, type DatabaseTarget } from './storage/connect.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { verifyKeyCheck } from './domain/maintenance/key-check.ts';
import { createStores } from './storage/stores.ts';
import { createOutboxWorker, type OutboxWorker } from './mail/outbox-worker.ts';
import { processPasswordResetRequests } from './domain/account/password-links.ts';
import { devMailboxTransport, smtpTransport, unconfiguredTransport } from './mail/transport.ts';

export interface Runtime {
  deps: Deps;
  database: DatabaseHandle;
  mail: OutboxWorker;
  /** Mail can leave this process (SMTP_URL, or the dev mailbox): false when it only waits in the outbox. */
  mailDeliverable: boolean;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Told each argon2id computation's duration (the server's metrics). */
  observeHash?: HashObserver;
}

export async function openRuntime(config: Config, log: Logger, clock: Clock = systemClock, options: RuntimeOptions = {}): Promise<Runtime> {
  const target = databaseTarget(config);
  const database = await openDatabase(
    target.kind === 'postgres'
      ? { ...target, onIdleError: (error) => log.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool dropped it') }
      : target,
  );
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    const stores = createStores(database.db, database.engine);
    // Why not the dev mailbox whenever SMTP_URL is unset: off loopback that would mark mail sent
    // that nobody receives, and keep backup codes readable in the database. Mail then waits.
    const transport = config.smtpUrl
      ? smtpTransport(config.smtpUrl, config.mailFrom, config.publicUrl.hostname)
      : config.devMailbox
        ? devMailboxTransport(stores.devMailbox, clock)
        : unconfiguredTransport();
    const secretBox = loadSecretBox(config, log);
    // Before anything is sealed or opened: a process with another key must not serve (SPEC §8).
    await verifyKeyCheck(stores.keyCheck, secretBox, clock.now());
    // The worker also turns queued "forgot password" requests into mail (deps is set just below).
    const jobs = [() => processPasswordResetRequests(deps)];
    const mail = createOutboxWorker(stores.outbox, transport, secretBox, clock, log, {
      leaseSeconds: config.mailLeaseSeconds,
      giveUpAfterSeconds: config.mailGiveUpSeconds,
      jobs,
    });
    const deps: Deps = {
      stores,
      // KEYWARD_HASH_CONCURRENCY: several processes on one host share its cores (issue 15).
      hasher: await createPasswordHasher(config.hashConcurrency ?? availableParallelism(), { observe: options.observeHash }),
      clock,
      publicUrl: config.publicUrl.toString(),
      mailQueued: () => mail.wake(),
      secretBox,
      totpIssuer: config.totpIssuer,
      supportStepUpSeconds: config.supportStepUpSeconds,
      supportContact: config.supportContact,
      auditRetentionDays: config.auditRetentionDays,
      // Loaded on the first password check, not at start: most processes never check one.
      blocklist: { contains: (password) => loadPasswordBlocklist().list.contains(password) },
    };
    return {
      deps,
      database,
      mail,
      mailDeliverable: transport.kind !== 'none',
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

/** The configured database: DATABASE_URL's PostgreSQL with the KEYWARD_PG_* settings, else the embedded one in the data dir. */
export function databaseTarget(config: Config): DatabaseTarget {
  return config.databaseUrl
    ? {
        kind: 'postgres',
        url: config.databaseUrl,
        poolSize: config.pgPoolSize,
        statementTimeoutMs: config.pgStatementTimeoutMs,
        prepared: config.pgPrepared,
      }
    : { kind: 'pglite', dataDir: config.dataDir };
}

/**
 * The keys that seal TOTP secrets: KEYWARD_SECRET_KEY (a comma list, newest first, for rotation),
 * or a key generated once into the data dir (0600). Why outside the database: a stolen database
 * dump alone must not yield the secrets (OTP-11).
 */
export function loadSecretBox(config: Config, log: Logger): SecretBox {
  if (config.secretKey) return createSecretBox(config.secretKey.split(',').map(parseKey));
  const file = path.join(config.dataDir, 'secret.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${generateKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    log.warn(
      { file },
      'generated a secret key for TOTP secrets; back it up, and set KEYWARD_SECRET_KEY when several processes share a database',
    );
  }
  return createSecretBox([parseKey(fs.readFileSync(file, 'utf8'))]);
}
