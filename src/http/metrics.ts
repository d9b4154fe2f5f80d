/**
 * What an operator watches (SPEC §8, docs/operations.md "Metrics"): Prometheus metrics with
 * prom-client, one registry per app. Request metrics are counted by hooks as answers leave; the
 * gauges of the queues (argon2, outbox, the database pool) are read when Prometheus scrapes, so a
 * request pays nothing for them. Labels are bounded sets (route patterns, error codes, steps):
 * never a user, an address or a raw URL (an unbounded label is a memory leak in the scraper).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OutboxStats } from '../domain/mail/outbox-store.ts';
import type { TwoFactorAdoptionCounts } from '../domain/maintenance/housekeeping-store.ts';
import { GRANT_TYPES } from '../domain/oidc/oidc-client.ts';

/** Where the scraped gauges come from; each is optional (the CLI and some tests have none). */
export interface MetricsSources {
  /** The argon2 queue now (PasswordHasher.stats). */
  hashQueue?: () => { running: number; waiting: number };
  /** One statement: the outbox's waiting and dead mail. */
  outbox?: () => Promise<OutboxStats>;
  /** The PostgreSQL pool; null on PGlite. */
  pool?: () => { total: number; idle: number; waiting: number; max: number } | null;
  now?: () => Date;
  /** The 2FA adoption housekeeping last read (null: not yet); its `instances` become per-instance series. */
  adoption?: () => TwoFactorAdoptionCounts | null;
}

export interface Metrics {
  registry: Registry;
  /** For the password hasher's `observe` option: seconds per hash or verification. */
  observeHash(kind: 'hash' | 'verify', seconds: number): void;
  /** Counts the tokens one successful token-endpoint request issued, by its `grant_type` (the OpenID Connect providers' `grant.success`). */
  countTokensIssued(grant: string): void;
  /** Counts request answers: every route's latency, and the login steps by step, outcome (the error handler's `reply.errorCode`) and factor. */
  register(app: FastifyInstance): void;
  /** The text Prometheus reads, with its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** The login steps of SPEC §3 by their route, and the factor each one checks. */
const LOGIN_STEPS: Record<string, { step: string; factor: (body: unknown) => string }> = {
  '/api/v1/auth/login': { step: 'password', factor: () => 'password' },
  '/api/v1/auth/verify': { step: 'second_factor', factor: (body) => secondFactor(body) },
  '/api/v1/auth/setup/confirm': { step: 'setup', factor: () => 'totp' },
  '/api/v1/auth/step-up': { step: 'step_up', factor: (body) => secondFactor(body) },
  '/api/v1/auth/postpone': { step: 'postpone', factor: () => 'none' },
};

/** The proxy's two questions (SPEC §7) by their route. */
const FORWARD_AUTH_ENDPOINTS: Record<string, string> = {
  '/api/v1/authz/auth-request': 'auth-request',
  '/api/v1/authz/forward-auth': 'forward-auth',
};

function secondFactor(body: unknown): string {
  return body && typeof body === 'object' && 'backupCode' in body ? 'backup_code' : 'totp';
}

/**
 * How `keyward serve --workers N` (src/cluster.ts) merges the workers' metrics: counters,
 * histograms and the per-process gauges (argon2 queue, database pool, process metrics) are summed,
 * the machine's total. The outbox gauges are one database-wide figure that every worker reads
 * alike: summed they would count each mail N times, so the largest reading is taken.
 */
const DATABASE_WIDE = 'max' as const;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HASH_BUCKETS = [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28];

export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keyward_' });
  const registers = [registry];
  const requests = new Histogram({
    name: 'keyward_http_request_duration_seconds',
    help: 'HTTP answers by method, route pattern and status class, with their latency.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const loginSteps = new Counter({
    name: 'keyward_login_steps_total',
    help: 'Login steps by step, outcome (ok or the error code) and the factor they checked.',
    labelNames: ['step', 'outcome', 'factor'],
    registers,
  });
  const lockouts = new Counter({
    name: 'keyward_lockouts_total',
    help: 'Login and step-up attempts refused because the account or the address is locked or rate limited.',
    labelNames: ['step', 'reason'],
    registers,
  });
  const forwardAuth = new Counter({
    name: 'keyward_forward_auth_decisions_total',
    help: 'The reverse proxy’s questions (SPEC §7) by endpoint and decision: allow, or the refusal’s code (unauthenticated, step_up_required, forbidden, unknown_host, proxy_not_trusted).',
    labelNames: ['endpoint', 'decision'],
    registers,
  });
  const hashes = new Histogram({
    name: 'keyward_password_hash_duration_seconds',
    help: 'argon2id computations (hash or verify) and how long each ran, not counting its wait in the queue.',
    labelNames: ['kind'],
    buckets: HASH_BUCKETS,
    registers,
  });
  const tokensIssued = new Counter({
    name: 'keyward_oidc_tokens_issued_total',
    help: 'Successful token-endpoint requests of the OpenID Connect providers, by grant type (authorization_code, refresh_token, client_credentials).',
    labelNames: ['grant'],
    registers,
  });
  // Every grant keyward offers from 0, so rate() sees the first token of each.
  for (const grant of GRANT_TYPES) tokensIssued.inc({ grant }, 0);
  const { hashQueue, outbox, pool, now = () => new Date() } = sources;
  if (hashQueue) {
    new Gauge({
      name: 'keyward_password_hash_running',
      help: 'argon2id computations running now (at most the hashing concurrency).',
      registers,
      collect() {
        this.set(hashQueue().running);
      },
    });
    new Gauge({
      name: 'keyward_password_hash_waiting',
      help: 'argon2id computations waiting for a free slot.',
      registers,
      collect() {
        this.set(hashQueue().waiting);
      },
    });
  }
  // One statement per scrape for the three outbox gauges: scrape() starts the reading, and each
  // gauge's collect takes its figure from it.
  let reading: Promise<OutboxStats> | null = null;
  const read = () => (reading ??= outbox!());
  if (outbox) {
    new Gauge({
      name: 'keyward_outbox_pending',
      aggregator: DATABASE_WIDE,
      help: 'Mail waiting to be sent (including mail being sent now).',
      registers,
      async collect() {
        this.set((await read()).pending);
      },
    });
    new Gauge({
      name: 'keyward_outbox_oldest_pending_age_seconds',
      aggregator: DATABASE_WIDE,
      help: 'How long the oldest waiting mail has waited (0 when none waits).',
      registers,
      async collect() {
        const oldest = (await read()).oldestPendingAt;
        this.set(oldest ? Math.max(0, (now().getTime() - oldest.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'keyward_outbox_dead',
      aggregator: DATABASE_WIDE,
      help: 'Mail given up on after its retries (see the mail log in Settings).',
      registers,
      async collect() {
        this.set((await read()).dead);
      },
    });
  }
  if (pool) {
    new Gauge({
      name: 'keyward_db_pool_connections',
      help: 'PostgreSQL pool connections by state (open, idle, max).',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = pool();
        if (!stats) return;
        this.set({ state: 'open' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'max' }, stats.max);
      },
    });
    new Gauge({
      name: 'keyward_db_pool_waiting',
      help: 'Queries waiting for a PostgreSQL pool connection.',
      registers,
      collect() {
        this.set(pool()?.waiting ?? 0);
      },
    });
  }

  if (sources.adoption) registerAdoptionGauges(registers, sources.adoption);

  function onResponse(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    // The route pattern, never the raw URL (bounded labels); unknown paths share one label.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = `${Math.floor(reply.statusCode / 100)}xx`;
    requests.observe({ method: request.method, route, status }, reply.elapsedTime / 1000);
    const endpoint = FORWARD_AUTH_ENDPOINTS[route];
    if (endpoint)
      forwardAuth.inc({ endpoint, decision: reply.statusCode < 300 ? 'allow' : (reply.errorCode ?? `http_${reply.statusCode}`) });
    const login = LOGIN_STEPS[route];
    if (login && request.method === 'POST') {
      const outcome = reply.statusCode < 400 ? 'ok' : (reply.errorCode ?? `http_${reply.statusCode}`);
      loginSteps.inc({ step: login.step, outcome, factor: login.factor(request.body) });
      if (outcome === 'locked' || outcome === 'rate_limited') lockouts.inc({ step: login.step, reason: outcome });
    }
    done();
  }

  return {
    registry,
    observeHash: (kind, seconds) => hashes.observe({ kind }, seconds),
    // Bounded: the provider emits grant.success only after the handler of an enabled grant ran
    // (unknown grant types are refused before), and no instance label (as the adoption gauges).
    countTokensIssued: (grant) => tokensIssued.inc({ grant }),
    register(app) {
      app.addHook('onResponse', onResponse);
    },
    async scrape() {
      reading = null;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * keyward_users and keyward_users_two_factor: in total, without labels by default. Why the
 * instance label only on request, and for at most the largest instances housekeeping lists: one
 * series per tenant grows without bound with the customers, and names them to whoever reads
 * /metrics (KEYWARD_METRICS_INSTANCE_LABELS).
 */
function registerAdoptionGauges(registers: Registry[], adoption: () => TwoFactorAdoptionCounts | null): void {
  const gauge = (name: string, help: string, pick: (row: { withTwoFactor: number; total: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['instance'],
      registers,
      // Every worker reads the same database-wide figures: not summed across a cluster.
      aggregator: DATABASE_WIDE,
      collect() {
        const counts = adoption();
        this.reset();
        if (!counts) return;
        this.set(pick(counts));
        for (const row of counts.instances) this.set({ instance: row.slug }, pick(row));
      },
    });
  gauge(
    'keyward_users',
    'Users of all instances (without a label), or of one instance (instance label, when enabled); as of the last housekeeping.',
    (row) => row.total,
  );
  gauge(
    'keyward_users_two_factor',
    'Users whose two-factor authentication is active (an app set up), in all or per instance; as of the last housekeeping.',
    (row) => row.withTwoFactor,
  );
}
