/**
 * The only reader of process.env. Every setting is typed and validated here, and a bad value
 * stops the process with a message naming the variable, not a stack trace later.
 */
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  publicUrl: URL;
  dataDir: string;
  databaseUrl: string | null;
  smtpUrl: string | null;
  mailFrom: string;
  secretKey: string | null;
  /** As Fastify's trustProxy: false, true, a hop count, or a list of addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** The issuer shown in authenticator apps. */
  totpIssuer: string;
  /** How long a claimed mail is reserved for its worker; after that another worker may send it. */
  mailLeaseSeconds: number;
  /** How long a support operator's code counts as fresh for resets (at most the 10 minutes of rule 12). */
  supportStepUpSeconds: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const port = parsePort(env.PORT ?? '3000');
  const host = env.HOST?.trim() || '127.0.0.1';
  const publicUrl = parseUrl(env.PUBLIC_URL ?? `http://${hostForUrl(host)}:${port}`);
  return {
    port,
    host,
    publicUrl,
    dataDir: path.resolve(env.KEYWARD_DATA_DIR?.trim() || 'data'),
    databaseUrl: env.DATABASE_URL?.trim() || null,
    smtpUrl: env.SMTP_URL?.trim() || null,
    mailFrom: env.MAIL_FROM?.trim() || `keyward <no-reply@${publicUrl.hostname}>`,
    secretKey: env.KEYWARD_SECRET_KEY?.trim() || null,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    totpIssuer: env.KEYWARD_TOTP_ISSUER?.trim() || 'keyward',
    mailLeaseSeconds: parsePositive('KEYWARD_MAIL_LEASE_SECONDS', env.KEYWARD_MAIL_LEASE_SECONDS ?? '120'),
    supportStepUpSeconds: parseStepUp(env.KEYWARD_SUPPORT_STEP_UP_SECONDS ?? '600'),
  };
}

/** Shorter is stricter (a vendor may want a fresh code for nearly every reset); longer than rule 12's 10 minutes is refused. */
function parseStepUp(raw: string): number {
  const value = parsePositive('KEYWARD_SUPPORT_STEP_UP_SECONDS', raw);
  if (value > 600) throw new ConfigError(`KEYWARD_SUPPORT_STEP_UP_SECONDS must be at most 600 (10 minutes), got "${raw}"`);
  return value;
}

function parsePositive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
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

function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const value = raw?.trim();
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((part) => part.trim()).filter(Boolean);
}
