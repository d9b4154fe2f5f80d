import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshPostgresDatabase } from '../support/db.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { migratedDataDir } from '../support/pglite-snapshot.ts';
import { HttpClient } from '../support/http-client.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

interface Jwk {
  kid: string;
  alg: string;
  x?: string;
  n?: string;
}

// The real server, stopped and started again on the same database and secret key: an instance's
// signing keys are the database's, not the process's (relying parties cache them by kid).
describe.each(engines())('OpenID Connect signing keys across a restart on %s', (engine) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-oidc-keys-'));
  let env: Record<string, string> = { KEYWARD_DATA_DIR: dataDir };
  let postgres: Awaited<ReturnType<typeof freshPostgresDatabase>> | null = null;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    if (engine === 'postgres') {
      postgres = await freshPostgresDatabase();
      env = { ...env, DATABASE_URL: postgres.url, KEYWARD_SECRET_KEY: generateKeyText() };
    } else {
      fs.cpSync(await migratedDataDir(), dataDir, { recursive: true });
    }
  });
  afterAll(async () => {
    for (const server of servers) await server.stop().catch(() => {});
    await postgres?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const server = await startServer(env);
    servers.push(server);
    return server;
  };
  const jwks = async (server: ServerProcess) => {
    const response = await fetch(`${server.origin}/i/keys/jwks`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { keys: Jwk[] }).keys;
  };

  it('publishes the same kids after a restart, and keeps the private keys sealed in the database', async () => {
    const first = await start();
    const token = new URL(first.setupLink!).hash.replace('#token=', '');
    const created = await new HttpClient(first.origin).post('/api/v1/setup', {
      token,
      instance: { slug: 'keys', name: 'Keys', plan: 'business' },
      admin: { email: 'ada@keys.test', name: 'Ada', password: 'a long enough password' },
    });
    expect(created.status).toBe(200);
    const before = await jwks(first);
    expect(before.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    await first.stop();

    const second = await start();
    expect(await jwks(second)).toEqual(before);
    await second.stop();

    const handle: DatabaseHandle = await openDatabase(postgres ? { kind: 'postgres', url: postgres.url } : { kind: 'pglite', dataDir });
    try {
      const rows = await handle.db.selectFrom('oidc_signing_keys').select(['kid', 'sealed_private_jwk']).orderBy('alg').execute();
      expect(rows.map((r) => r.kid)).toEqual(before.map((k) => k.kid));
      for (const [i, row] of rows.entries()) {
        expect(() => JSON.parse(row.sealed_private_jwk)).toThrow();
        expect(row.sealed_private_jwk).not.toContain(before[i]!.x ?? before[i]!.n);
      }
    } finally {
      await handle.close();
    }
  }, 180_000);
});
