/**
 * The operator's endpoints (SPEC §8): `/livez` (the process answers; no database call, so a slow
 * database never gets a process restarted), `/readyz` (the database answers and its schema is
 * current; 503 while draining, so a load balancer stops sending before the process goes) and
 * `/metrics` (Prometheus text). Outside /api/v1: they are for load balancers and scrapers, not
 * clients, and carry no session, CSRF or CORS concerns. With KEYWARD_MANAGEMENT_PORT the metrics
 * are served only on that port (buildManagementApp), never to the public listener.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';

/** Shared by the public app and the management app of one process. */
export interface Operations {
  /** The database answers and every migration this version knows is applied (one statement). */
  ready: () => Promise<boolean>;
  /** Prometheus metrics, or null to serve none. */
  metrics: Metrics | null;
  /** Set once SIGTERM starts the drain: readiness answers 503 from then on. */
  readonly state: { draining: boolean };
}

/** What the three endpoints read: only the scrape of the metrics (the cluster's primary has no app to count requests of). */
export type OperationEndpoints = Omit<Operations, 'metrics'> & { metrics: Pick<Metrics, 'scrape'> | null };

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'unavailable', 'draining'] } },
} as const;

/**
 * `/livez` always; `/readyz` with `operations`; `/metrics` with its metrics when `withMetrics`
 * (the public app: only without a management port).
 */
export function registerOperationRoutes(app: FastifyInstance, operations: OperationEndpoints | null, withMetrics: boolean): void {
  const noStore = { 'cache-control': 'no-store' };
  app.get('/livez', { schema: { response: { 200: statusSchema } }, logLevel: 'warn' }, async (_request, reply) =>
    reply.headers(noStore).send({ status: 'ok' }),
  );
  if (!operations) return;
  // While draining, every answer asks the client to close its connection after it: keep-alive
  // connections that were busy when the listener closed would otherwise hold the process open
  // until their idle timeout (RFC 9112 §9.6). Fastify closes the idle ones itself.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (operations.state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.get('/readyz', { schema: { response: { 200: statusSchema, 503: statusSchema } }, logLevel: 'warn' }, async (_request, reply) => {
    reply.headers(noStore);
    if (operations.state.draining) return reply.status(503).send({ status: 'draining' });
    const ready = await operations.ready().catch(() => false);
    return ready ? reply.send({ status: 'ok' }) : reply.status(503).send({ status: 'unavailable' });
  });
  const metrics = operations.metrics;
  if (withMetrics && metrics) {
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.headers(noStore).type(contentType).send(body);
    });
  }
}

/** The management listener (KEYWARD_MANAGEMENT_PORT): the three endpoints and nothing else. */
export async function buildManagementApp(operations: OperationEndpoints): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerOperationRoutes(app, operations, true);
  await app.ready();
  return app;
}
