import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';

/**
 * The dev mailbox. Registered only without SMTP_URL and on a loopback listener (main.ts decides),
 * so a production deployment has no such route at all (CFG-01).
 */
export function devRoutes(deps: Deps) {
  return async (app: FastifyInstance) => {
    app.get('/dev/mailbox', async () => {
      const messages = await deps.stores.devMailbox.list(200);
      return { messages: messages.map((m) => ({ ...m, sentAt: m.sentAt.toISOString() })) };
    });
  };
}
