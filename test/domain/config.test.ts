import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSharedDatabase } from '../../src/config.ts';

describe('configuration', () => {
  it('reads the support contact as an email or an http(s) URL, absent by default, and refuses anything else', () => {
    expect(loadConfig({}).supportContact).toBeNull();
    expect(loadConfig({ KEYWARD_SUPPORT_CONTACT: ' help@vendor.test ' }).supportContact).toEqual({ email: 'help@vendor.test' });
    expect(loadConfig({ KEYWARD_SUPPORT_CONTACT: 'https://help.vendor.test/keyward' }).supportContact).toEqual({
      url: 'https://help.vendor.test/keyward',
    });
    for (const bad of ['javascript:alert(1)', 'not a contact', 'ftp://vendor.test/'])
      expect(() => loadConfig({ KEYWARD_SUPPORT_CONTACT: bad })).toThrow(ConfigError);
  });

  it('keeps the support step-up window within rule 12’s 10 minutes', () => {
    expect(loadConfig({}).supportStepUpSeconds).toBe(600);
    expect(loadConfig({ KEYWARD_SUPPORT_STEP_UP_SECONDS: '60' }).supportStepUpSeconds).toBe(60);
    for (const bad of ['0', '601', '-5', 'ten', '1.5']) {
      expect(() => loadConfig({ KEYWARD_SUPPORT_STEP_UP_SECONDS: bad })).toThrow(ConfigError);
    }
  });

  it('refuses DATABASE_URL without KEYWARD_SECRET_KEY: processes sharing a database must seal with one key', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://keyward@db/keyward' })).toThrow(ConfigError);
    expect(loadConfig({ DATABASE_URL: 'postgres://keyward@db/keyward', KEYWARD_SECRET_KEY: 'k' }).databaseUrl).toBe(
      'postgres://keyward@db/keyward',
    );
  });

  it('reads the operations settings: a management port other than PORT, the drain time, the hashing concurrency', () => {
    expect(loadConfig({})).toMatchObject({ managementPort: null, drainSeconds: 5, hashConcurrency: null });
    expect(loadConfig({ KEYWARD_MANAGEMENT_PORT: '9464', KEYWARD_DRAIN_SECONDS: '0', KEYWARD_HASH_CONCURRENCY: '1' })).toMatchObject({
      managementPort: 9464,
      drainSeconds: 0,
      hashConcurrency: 1,
    });
    for (const bad of ['0', '3000', '70000', 'metrics']) expect(() => loadConfig({ KEYWARD_MANAGEMENT_PORT: bad })).toThrow(ConfigError);
    for (const bad of ['-1', '1.5', 'soon']) expect(() => loadConfig({ KEYWARD_DRAIN_SECONDS: bad })).toThrow(ConfigError);
    for (const bad of ['0', '-2', 'all']) expect(() => loadConfig({ KEYWARD_HASH_CONCURRENCY: bad })).toThrow(ConfigError);
  });

  it('reads the PostgreSQL settings and the housekeeping interval, with their defaults, and refuses bad values', () => {
    expect(loadConfig({})).toMatchObject({
      pgPoolSize: 10,
      pgStatementTimeoutMs: 30000,
      pgPrepared: true,
      housekeepingIntervalSeconds: 600,
    });
    expect(
      loadConfig({
        KEYWARD_PG_POOL_SIZE: '4',
        KEYWARD_PG_STATEMENT_TIMEOUT_MS: '0',
        KEYWARD_PG_PREPARED: 'false',
        KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS: '5',
      }),
    ).toMatchObject({ pgPoolSize: 4, pgStatementTimeoutMs: 0, pgPrepared: false, housekeepingIntervalSeconds: 5 });
    expect(loadConfig({ KEYWARD_PG_PREPARED: '0' }).pgPrepared).toBe(false);
    expect(loadConfig({ KEYWARD_PG_PREPARED: '1' }).pgPrepared).toBe(true);
    for (const bad of ['0', '-1', '2.5', 'many']) expect(() => loadConfig({ KEYWARD_PG_POOL_SIZE: bad })).toThrow(ConfigError);
    for (const bad of ['-1', '1.5', '30s']) expect(() => loadConfig({ KEYWARD_PG_STATEMENT_TIMEOUT_MS: bad })).toThrow(ConfigError);
    for (const bad of ['yes', 'off', '2']) expect(() => loadConfig({ KEYWARD_PG_PREPARED: bad })).toThrow(ConfigError);
    for (const bad of ['0', '-60', 'hourly']) expect(() => loadConfig({ KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS: bad })).toThrow(ConfigError);
    expect([loadConfig({}).metricsInstanceLabels, loadConfig({ KEYWARD_METRICS_INSTANCE_LABELS: '1' }).metricsInstanceLabels]).toEqual([
      false,
      true,
    ]);
    expect(() => loadConfig({ KEYWARD_METRICS_INSTANCE_LABELS: 'all' })).toThrow(ConfigError);
  });

  it('reads KEYWARD_WORKERS (default 1); more than one needs DATABASE_URL', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ KEYWARD_WORKERS: '4' }).workers).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'all']) expect(() => loadConfig({ KEYWARD_WORKERS: bad })).toThrow(ConfigError);
    expect(() => requireSharedDatabase(loadConfig({}), 2, '--workers')).toThrow(ConfigError);
    expect(() => requireSharedDatabase(loadConfig({}), 1, '--workers')).not.toThrow();
    const shared = loadConfig({ DATABASE_URL: 'postgres://keyward@db/keyward', KEYWARD_SECRET_KEY: 'k' });
    expect(() => requireSharedDatabase(shared, 2, '--workers')).not.toThrow();
  });

  it('keeps audit events forever unless KEYWARD_AUDIT_RETENTION_DAYS gives whole days (1 or more)', () => {
    expect(loadConfig({}).auditRetentionDays).toBeNull();
    expect(loadConfig({ KEYWARD_AUDIT_RETENTION_DAYS: '' }).auditRetentionDays).toBeNull();
    expect(loadConfig({ KEYWARD_AUDIT_RETENTION_DAYS: ' 365 ' }).auditRetentionDays).toBe(365);
    expect(loadConfig({ KEYWARD_AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays).toBe(1);
    for (const bad of ['0', '-30', '1.5', '30d', 'forever', '36501'])
      expect(() => loadConfig({ KEYWARD_AUDIT_RETENTION_DAYS: bad }), bad).toThrow(ConfigError);
  });
});

// Issue 10 item 1: the dev mailbox hands every reset link and backup code to whoever can reach
// it, so it is on by default only for the plain loopback `npm start` (CFG-01, ASVS 13.4.2).
describe('the dev mailbox setting', () => {
  it('is on by default only without SMTP, on a loopback listener and a loopback PUBLIC_URL, without TRUST_PROXY', () => {
    expect(loadConfig({}).devMailbox).toBe(true);
    expect(loadConfig({ HOST: '::1', PUBLIC_URL: 'http://localhost:3000/' }).devMailbox).toBe(true);
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.com:587' }).devMailbox).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://keyward.example' }).devMailbox).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).devMailbox).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }).devMailbox).toBe(false);
    expect(loadConfig({ KEYWARD_DEV_MAILBOX: '0' }).devMailbox).toBe(false);
    expect(loadConfig({ KEYWARD_DEV_MAILBOX: '1' }).devMailbox).toBe(true);
  });

  it('refuses to start with KEYWARD_DEV_MAILBOX=1 behind a public URL, a trusted proxy, SMTP or a public listener', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PUBLIC_URL: 'https://keyward.example' }, /PUBLIC_URL/],
      [{ TRUST_PROXY: '1' }, /TRUST_PROXY/],
      [{ SMTP_URL: 'smtp://mail.example.com' }, /SMTP_URL/],
      [{ HOST: '0.0.0.0' }, /HOST/],
    ];
    for (const [env, names] of cases) {
      expect(() => loadConfig({ KEYWARD_DEV_MAILBOX: '1', ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ KEYWARD_DEV_MAILBOX: '1', ...env })).toThrow(names);
    }
    for (const bad of ['yes', 'true', '2', 'on']) expect(() => loadConfig({ KEYWARD_DEV_MAILBOX: bad })).toThrow(/KEYWARD_DEV_MAILBOX/);
  });
});

// Issue 10 item 7: `true` believes the whole X-Forwarded-For chain, so any client picks its
// address (checklist RD-05, Fastify trustProxy); only hop counts and proxy addresses are accepted.
describe('the TRUST_PROXY setting', () => {
  it('accepts a hop count or a list of proxy addresses and ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1, fd00::/8, loopback' }).trustProxy).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses true and entries that are not addresses, naming TRUST_PROXY', () => {
    for (const bad of ['true', 'TRUE', 'proxy.example', '10.0.0.1/33', '1.2.3', '10.0.0.1,,evil', '-1', '1.5', '::1/129', '10.0.0.0/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('accepts a hop count only on a loopback listener, where every peer is one of this machine’s proxies', () => {
    expect(loadConfig({ TRUST_PROXY: '1', HOST: '::1' }).trustProxy).toBe(1);
    expect(() => loadConfig({ TRUST_PROXY: '1', HOST: '0.0.0.0' })).toThrow(/TRUST_PROXY.*HOST/);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1', HOST: '0.0.0.0' }).trustProxy).toEqual(['10.0.0.1']);
  });
});
