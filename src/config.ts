/**
 * The only reader of process.env. Every setting is typed and validated here, and a bad value
 * stops the process with a message naming the variable, not a stack trace later.
 */
import path from 'node:path';
import { isLoopbackHost, isProxyEntry } from './net-address.ts';
import { parseSupportContact, type SupportContact } from './domain/support/support-contact.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: URL;
  dataDir: string;
  databaseUrl: string | null;
  smtpUrl: string | null;
  mailFrom: string;
  secretKey: string | null;
  /** As Fastify's trustProxy: false, a hop count, or a list of addresses/CIDRs; never `true`. */
  trustProxy: false | number | string[];
  logLevel: string;
  /** The issuer shown in authenticator apps. */
  totpIssuer: string;
  /** How long a claimed mail is reserved for its worker; after that another worker may send it. */
  mailLeaseSeconds: number;
  /** KEYWARD_MAIL_GIVE_UP_SECONDS: how long a mail that keeps failing is retried before it is given up on (dead). */
  mailGiveUpSeconds: number;
  /** How long a support operator's code counts as fresh for resets (at most the 10 minutes of rule 12). */
  supportStepUpSeconds: number;
  /** Whether mail goes to the dev mailbox page (KEYWARD_DEV_MAILBOX); never behind a proxy. */
  devMailbox: boolean;
  /** The vendor's support contact, an email or an http(s) URL (KEYWARD_SUPPORT_CONTACT); null when unset. */
  supportContact: SupportContact | null;
  /** KEYWARD_MANAGEMENT_PORT: `/metrics` (and `/livez`, `/readyz`) on their own listener, on HOST; null: on the public one. */
  managementPort: number | null;
  /** KEYWARD_DRAIN_SECONDS: after SIGTERM, how long readiness answers 503 before the listener closes (load balancers notice). */
  drainSeconds: number;
  /** KEYWARD_HASH_CONCURRENCY: argon2id computations at once in this process (default: the cores). */
  hashConcurrency: number | null;
  /** KEYWARD_PG_POOL_SIZE: PostgreSQL connections this process keeps at most (default 10). */
  pgPoolSize: number;
  /** KEYWARD_PG_STATEMENT_TIMEOUT_MS: the server cancels a statement running longer (0: no limit). */
  pgStatementTimeoutMs: number;
  /** KEYWARD_PG_PREPARED: named prepared statements (default on); off behind PgBouncer in transaction mode before 1.21. */
  pgPrepared: boolean;
  /** KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS: how often housekeeping runs, once per interval across all processes (default 600). */
  housekeepingIntervalSeconds: number;
  /** KEYWARD_METRICS_INSTANCE_LABELS=1: the 2FA adoption gauges also per instance (the largest 100), not only in total. */
  metricsInstanceLabels: boolean;
  /**
   * KEYWARD_AUDIT_RETENTION_DAYS: housekeeping deletes audit events older than this many days;
   * null (unset): kept forever.
   */
  auditRetentionDays: number | null;
  /** KEYWARD_WORKERS: server processes `npm start` / `keyward serve` forks on this machine (1: no cluster; `--workers` wins). */
  workers: number;
}

/** Named, so the CLI prints its message alone (cli/io.ts describeFailure), not a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const port = parsePort(env.PORT ?? '3000');
  const host = env.HOST?.trim() || '127.0.0.1';
  const publicUrl = parseUrl(env.PUBLIC_URL ?? `http://${hostForUrl(host)}:${port}`);
  const smtpUrl = env.SMTP_URL?.trim() || null;
  const trustProxy = parseTrustProxy(env.TRUST_PROXY, host);
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  const secretKey = env.KEYWARD_SECRET_KEY?.trim() || null;
  // Why: on a shared PostgreSQL every process must seal with one key; a key generated into each
  // process's data dir would make each one's TOTP secrets and mail unreadable to the others.
  if (databaseUrl && !secretKey) {
    throw new ConfigError(
      'DATABASE_URL is set but KEYWARD_SECRET_KEY is not: every process on one database must seal with the same key. ' +
        'Generate one with `npx keyward generate-key` (or use the one in KEYWARD_DATA_DIR/secret.key this database was sealed with).',
    );
  }
  return {
    port,
    host,
    publicUrl,
    dataDir: path.resolve(env.KEYWARD_DATA_DIR?.trim() || 'data'),
    databaseUrl,
    smtpUrl,
    mailFrom: env.MAIL_FROM?.trim() || `keyward <no-reply@${publicUrl.hostname}>`,
    secretKey,
    trustProxy,
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    totpIssuer: env.KEYWARD_TOTP_ISSUER?.trim() || 'keyward',
    mailLeaseSeconds: parsePositive('KEYWARD_MAIL_LEASE_SECONDS', env.KEYWARD_MAIL_LEASE_SECONDS ?? '120'),
    mailGiveUpSeconds: parsePositive('KEYWARD_MAIL_GIVE_UP_SECONDS', env.KEYWARD_MAIL_GIVE_UP_SECONDS ?? String(3 * 24 * 60 * 60)),
    supportStepUpSeconds: parseStepUp(env.KEYWARD_SUPPORT_STEP_UP_SECONDS ?? '600'),
    devMailbox: parseDevMailbox(env.KEYWARD_DEV_MAILBOX, { smtpUrl, host, publicUrl, trustProxy }),
    supportContact: parseContact(env.KEYWARD_SUPPORT_CONTACT),
    managementPort: env.KEYWARD_MANAGEMENT_PORT?.trim() ? parseManagementPort(env.KEYWARD_MANAGEMENT_PORT.trim(), port) : null,
    drainSeconds: parseNonNegative('KEYWARD_DRAIN_SECONDS', env.KEYWARD_DRAIN_SECONDS?.trim() || '5'),
    hashConcurrency: env.KEYWARD_HASH_CONCURRENCY?.trim()
      ? parsePositive('KEYWARD_HASH_CONCURRENCY', env.KEYWARD_HASH_CONCURRENCY.trim())
      : null,
    pgPoolSize: parsePositive('KEYWARD_PG_POOL_SIZE', env.KEYWARD_PG_POOL_SIZE?.trim() || '10'),
    pgStatementTimeoutMs: parseNonNegativeInteger(
      'KEYWARD_PG_STATEMENT_TIMEOUT_MS',
      env.KEYWARD_PG_STATEMENT_TIMEOUT_MS?.trim() || '30000',
    ),
    pgPrepared: parseSwitch('KEYWARD_PG_PREPARED', env.KEYWARD_PG_PREPARED, true),
    housekeepingIntervalSeconds: parsePositive(
      'KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS',
      env.KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS?.trim() || '600',
    ),
    metricsInstanceLabels: parseSwitch('KEYWARD_METRICS_INSTANCE_LABELS', env.KEYWARD_METRICS_INSTANCE_LABELS, false),
    workers: parseWorkers('KEYWARD_WORKERS', env.KEYWARD_WORKERS?.trim() || '1'),
    auditRetentionDays: parseRetentionDays(env.KEYWARD_AUDIT_RETENTION_DAYS),
  };
}

function parseSwitch(name: string, raw: string | undefined, fallback: boolean): boolean {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${raw}"`);
}

function parseNonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number (0 or more), got "${raw}"`);
  return value;
}

/** KEYWARD_WORKERS or `keyward serve --workers N`: a positive whole number. */
export function parseWorkers(name: string, raw: string): number {
  return parsePositive(name, raw);
}

/**
 * Why PostgreSQL only: the embedded database has one writer (its data dir is locked by one
 * process), so N processes cannot share it; on PostgreSQL any number can (SPEC §8).
 */
export function requireSharedDatabase(config: Config, workers: number, source: string): void {
  if (workers > 1 && !config.databaseUrl) {
    throw new ConfigError(
      `${source}=${workers} needs DATABASE_URL: the embedded database (KEYWARD_DATA_DIR) has one writer, so several processes cannot share it. ` +
        'Set DATABASE_URL (and KEYWARD_SECRET_KEY), or run one process.',
    );
  }
}

/**
 * Why so strict: the dev mailbox serves every reset link, invitation and backup code to whoever
 * reaches it, an anonymous takeover of every account (issue 10 item 1; CFG-01, ASVS 13.4.2: no
 * debug features in production). It is on by default only for the plain loopback `npm start`, and
 * asking for it anywhere a proxy or the network could reach it stops the start.
 */
function parseDevMailbox(
  raw: string | undefined,
  where: { smtpUrl: string | null; host: string; publicUrl: URL; trustProxy: Config['trustProxy'] },
): boolean {
  const value = raw?.trim();
  const reachable = [
    where.smtpUrl !== null && 'SMTP_URL is set',
    !isLoopbackHost(where.host) && `HOST (${where.host}) is not a loopback address`,
    !isLoopbackHost(where.publicUrl.hostname) && `PUBLIC_URL (${where.publicUrl.origin}) is not a loopback URL`,
    where.trustProxy !== false && 'TRUST_PROXY is set',
  ].filter((reason): reason is string => typeof reason === 'string');
  if (value === undefined || value === '') return reachable.length === 0;
  if (value === '0') return false;
  if (value !== '1') throw new ConfigError(`KEYWARD_DEV_MAILBOX must be 1 or 0, got "${raw}"`);
  if (reachable.length > 0) {
    throw new ConfigError(
      `KEYWARD_DEV_MAILBOX=1 is refused: ${reachable.join(', ')}. The dev mailbox would serve reset links and backup codes beyond this machine; unset KEYWARD_DEV_MAILBOX and set SMTP_URL.`,
    );
  }
  return true;
}

/** Shorter is stricter (a vendor may want a fresh code for nearly every reset); longer than rule 12's 10 minutes is refused. */
function parseStepUp(raw: string): number {
  const value = parsePositive('KEYWARD_SUPPORT_STEP_UP_SECONDS', raw);
  if (value > 600) throw new ConfigError(`KEYWARD_SUPPORT_STEP_UP_SECONDS must be at most 600 (10 minutes), got "${raw}"`);
  return value;
}

/** Unset or empty: keep forever. Otherwise whole days, 1 to 36,500 (a hundred years; more is a typo). */
function parseRetentionDays(raw: string | undefined): number | null {
  const value = raw?.trim();
  if (value === undefined || value === '') return null;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 36_500) {
    throw new ConfigError(
      `KEYWARD_AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 36500 (unset: keep audit events forever), got "${raw}"`,
    );
  }
  return Number(value);
}

function parsePositive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseNonNegative(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number of seconds (0 or more), got "${raw}"`);
  return value;
}

function parseManagementPort(raw: string, port: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigError(`KEYWARD_MANAGEMENT_PORT must be an integer between 1 and 65535, got "${raw}"`);
  }
  if (value === port) throw new ConfigError(`KEYWARD_MANAGEMENT_PORT must differ from PORT (${port})`);
  return value;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer between 0 and 65535, got "${raw}"`);
  }
  return port;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function parseUrl(raw: string): URL {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    return url;
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  }
}

/**
 * Why never `true`: it believes the whole X-Forwarded-For chain, so every client chooses its own
 * address for per-IP limits, known locations and the audit log (issue 10 item 7; checklist RD-05;
 * the Fastify trustProxy pitfall). A hop count or the proxies' addresses say which entry is real.
 */
function parseTrustProxy(raw: string | undefined, host: string): false | number | string[] {
  const value = raw?.trim();
  if (!value || value === 'false' || value === '0') return false;
  if (value.toLowerCase() === 'true') {
    throw new ConfigError(
      'TRUST_PROXY=true would let every client choose its address; give the number of proxy hops (e.g. 1) or the proxy addresses (e.g. 127.0.0.1,10.0.0.0/8)',
    );
  }
  if (/^\d+$/.test(value)) {
    // A hop count cannot tell the proxy from a client that connects directly and writes the
    // header itself; only on a loopback listener is every peer one of this machine's proxies.
    if (!isLoopbackHost(host))
      throw new ConfigError(`TRUST_PROXY=${value} (a hop count) needs a loopback HOST; with HOST=${host} give the proxy addresses instead`);
    return Number(value);
  }
  const entries = value.split(',').map((part) => part.trim());
  const bad = entries.filter((entry) => !isProxyEntry(entry));
  if (bad.length > 0) {
    throw new ConfigError(
      `TRUST_PROXY must be a hop count or a comma list of proxy addresses or CIDR ranges; not an address: ${bad.map((entry) => `"${entry}"`).join(', ')}`,
    );
  }
  return entries;
}

function parseContact(raw: string | undefined): SupportContact | null {
  if (raw === undefined || raw.trim() === '') return null;
  const contact = parseSupportContact(raw);
  if (!contact) throw new ConfigError(`KEYWARD_SUPPORT_CONTACT must be an email address or an http(s) URL, got "${raw}"`);
  return contact;
}
