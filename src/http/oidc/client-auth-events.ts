/**
 * Which requests failed client authentication, as the provider tells it: its error events of the
 * endpoints that authenticate clients (`grant.error`, `introspection.error`, `revocation.error`)
 * with `invalid_client`, marked on the raw request the route handed over (oidc.routes.ts).
 */
import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';

const failed = new WeakSet<IncomingMessage>();

export function watchClientAuthentication(provider: Provider): void {
  const mark = (ctx: { req: IncomingMessage }, error: { error?: string }) => {
    if (error?.error === 'invalid_client') failed.add(ctx.req);
  };
  provider.on('grant.error', mark);
  provider.on('introspection.error', mark);
  provider.on('revocation.error', mark);
}

export function clientAuthFailed(req: IncomingMessage): boolean {
  return failed.has(req);
}
