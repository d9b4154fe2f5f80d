/**
 * The app over real deps listening on a real loopback port (what openid-client, a relying party
 * nobody here wrote, talks to), with PUBLIC_URL at that port so issuers match what is fetched.
 */
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ClientMetadata } from 'oidc-provider';
import { createHash, randomBytes } from 'node:crypto';
import { testApp } from './app.ts';
import { useTestDeps, type TestDeps } from './deps.ts';
import type { EngineName } from './db.ts';
import { freePort } from './server-process.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

export interface OidcServer {
  database: DatabaseHandle;
  deps: TestDeps;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  origin: string;
  issuer(slug: string): string;
}

/** A confidential test client of `instance` (tests only: keyward does not store clients yet). */
export function testClient(instance: Instance): ClientMetadata {
  return {
    client_id: `app-${instance.slug}`,
    client_secret: `secret-of-${instance.slug}-0123456789abcdef`,
    redirect_uris: [`https://app.example.test/${instance.slug}/callback`],
  };
}

export function useOidcServer(engine: EngineName, assign: (server: OidcServer) => void): void {
  let base: { database: DatabaseHandle; deps: TestDeps } | null = null;
  let app: FastifyInstance | null = null;
  useTestDeps(engine, (context) => (base = context));
  beforeAll(async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    app = await testApp(base!.deps, { publicUrl: new URL(`${origin}/`), oidc: { staticClients: (instance) => [testClient(instance)] } });
    await app.listen({ port, host: '127.0.0.1' });
    assign({ ...base!, app, origin, issuer: (slug) => `${origin}/i/${slug}` });
  });
  afterAll(async () => {
    await app?.close();
  });
}

/** An RFC 7636 verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
