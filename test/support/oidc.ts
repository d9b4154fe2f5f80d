/**
 * The app over real deps listening on a real loopback port (what openid-client, a relying party
 * nobody here wrote, talks to), with PUBLIC_URL at that port so issuers match what is fetched.
 */
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { testApp } from './app.ts';
import { useTestDeps, type TestDeps } from './deps.ts';
import type { EngineName } from './db.ts';
import { freePort } from './server-process.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { Deps } from '../../src/domain/shared/deps.ts';
import type { OidcClientInput } from '../../src/domain/oidc/oidc-client.ts';
import { createOidcClient } from '../../src/domain/oidc/manage-oidc-clients.ts';

export interface OidcServer {
  database: DatabaseHandle;
  deps: TestDeps;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  origin: string;
  issuer(slug: string): string;
}

/** A client as a relying party knows it: its id, its secret (null when public) and redirect URIs. */
export interface TestOidcClient {
  client_id: string;
  client_secret: string | null;
  redirect_uris: string[];
}

const testChanger = (instance: Instance) => ({
  instanceId: instance.id,
  actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
  client: { ip: null, userAgent: null },
});

/**
 * A client of `instance` registered as an administrator would (the use-case behind the admin API
 * and the CLI): confidential with one redirect URI unless `input` says otherwise.
 */
export async function givenOidcClient(deps: Deps, instance: Instance, input: Partial<OidcClientInput> = {}): Promise<TestOidcClient> {
  const { client, clientSecret } = await createOidcClient(deps, testChanger(instance), {
    name: 'Test app',
    redirectUris: [`https://app.example.test/${instance.slug}/callback`],
    ...input,
  });
  return { client_id: client.clientId, client_secret: clientSecret, redirect_uris: client.redirectUris };
}

export function useOidcServer(engine: EngineName, assign: (server: OidcServer) => void): void {
  let base: { database: DatabaseHandle; deps: TestDeps } | null = null;
  let app: FastifyInstance | null = null;
  useTestDeps(engine, (context) => (base = context));
  beforeAll(async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    app = await testApp(base!.deps, { publicUrl: new URL(`${origin}/`) });
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
