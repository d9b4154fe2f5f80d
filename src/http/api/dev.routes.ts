import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { hostOfHostHeader, isLoopbackHost } from '../../net-address.ts';
import { errorBody, sendError } from '../error-handler.ts';
import { mailboxSchema } from './dev.schemas.ts';

/**
 * Why the Host header too: a page on evil.test whose name later resolves to 127.0.0.1 (DNS
 * rebinding) reads loopback answers as same-origin, and its requests carry `Host: evil.test`.
 * The raw header, not request.host: that one may come from X-Forwarded-Host.
 */
export async function loopbackHostOnly(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!isLoopbackHost(hostOfHostHeader(request.headers.host))) {
    return sendError(reply, 404, errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`));
  }
}

/**
 * The dev mailbox. Registered only when config.devMailbox is on (KEYWARD_DEV_MAILBOX; loopback
 * listener and PUBLIC_URL, no SMTP_URL, no TRUST_PROXY), so a deployment has no such route at all
 * (CFG-01), and answering only to a loopback Host header.
 */
export function devRoutes(deps: Deps): RoutePlugin {
  return async (app) => {
    app.get('/dev/mailbox', { preHandler: loopbackHostOnly, schema: { response: { 200: mailboxSchema } } }, async () => {
      const messages = await deps.stores.devMailbox.list(200);
      return { messages: messages.map((m) => ({ ...m, sentAt: m.sentAt.toISOString() })) };
    });
  };
}
