import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/storage/connect.ts';
import { keyward } from '../support/cli.ts';

// `keyward oidc client create` and `keyward oidc rotate-keys` (SPEC §6), the compiled CLI on the embedded database.
describe('the keyward oidc commands', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-oidc-cli-'));
    env = { KEYWARD_DATA_DIR: dataDir };
    const created = await keyward(
      ['instance', 'create', 'initech', '--name', 'Initech', '--plan', 'business', '--admin-email', 'bill@initech.test'],
      env,
      'tps reports forever 1999\n',
    );
    expect(created.code, created.stderr).toBe(0);
    // A process of its own with PGlite and migrations: as generous as the tests on a busy machine.
  }, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function rows() {
    const handle = await openDatabase({ kind: 'pglite', dataDir });
    try {
      return await handle.db.selectFrom('oidc_clients').selectAll().execute();
    } finally {
      await handle.close();
    }
  }

  it('creates a confidential client with MFA required and prints it with its secret once; a machine client; refuses bad URIs', async () => {
    const run = await keyward(
      [
        ...['oidc', 'client', 'create', 'initech', '--name', 'TPS'],
        ...['--redirect-uri', 'https://tps.initech.test/cb', '--redirect-uri', 'http://127.0.0.1:4000/cb'],
        ...['--post-logout-uri', 'https://tps.initech.test/', '--require-mfa'],
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const client = JSON.parse(run.stdout);
    expect(client).toMatchObject({
      name: 'TPS',
      public: false,
      redirectUris: ['https://tps.initech.test/cb', 'http://127.0.0.1:4000/cb'],
      postLogoutRedirectUris: ['https://tps.initech.test/'],
      defaultAcrValues: ['urn:keyward:acr:mfa'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    expect(client.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const machine = await keyward(
      ['oidc', 'client', 'create', 'initech', '--name', 'Robot', '--grant', 'client_credentials', '--scope', 'keyward:audit:read'],
      env,
    );
    expect(machine.code, machine.stderr).toBe(0);
    expect(JSON.parse(machine.stdout)).toMatchObject({ grantTypes: ['client_credentials'], scopes: ['keyward:audit:read'] });

    const bad = await keyward(
      ['oidc', 'client', 'create', 'initech', '--name', 'Bad', '--redirect-uri', 'http://tps.initech.test/cb'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('redirectUris');
    expect(bad.stderr).toContain('(invalid_request)');

    const stored = await rows();
    expect(stored.map((row) => row.name).sort()).toEqual(['Robot', 'TPS']);
    // Sealed at rest: the printed secret is not in the database.
    expect(JSON.stringify(stored)).not.toContain(client.clientSecret);
  });

  it('rotates the signing keys of an instance and prints the new kids', async () => {
    const first = await keyward(['oidc', 'rotate-keys', 'initech'], env);
    expect(first.code, first.stderr).toBe(0);
    const rotation = JSON.parse(first.stdout);
    expect(rotation.instance).toBe('initech');
    expect(rotation.signing.map((key: { alg: string }) => key.alg)).toEqual(['ES256', 'RS256']);
    const second = JSON.parse((await keyward(['oidc', 'rotate-keys', 'initech'], env)).stdout);
    expect(second.retired).toBe(2);
    expect(second.signing.map((key: { kid: string }) => key.kid)).not.toEqual(rotation.signing.map((key: { kid: string }) => key.kid));
    const missing = await keyward(['oidc', 'rotate-keys', 'no-such-instance'], env);
    expect([missing.code, missing.stderr.includes('(not_found)')]).toEqual([1, true]);
  });
});
