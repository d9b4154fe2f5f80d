import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/storage/connect.ts';
import { keyward } from '../support/cli.ts';

// `keyward protected-app create|list|delete` (SPEC §7), the compiled CLI on the embedded database.
describe('the keyward protected-app commands', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-fa-cli-'));
    env = { KEYWARD_DATA_DIR: dataDir };
    const created = await keyward(
      ['instance', 'create', 'initech', '--name', 'Initech', '--plan', 'business', '--admin-email', 'bill@initech.test'],
      env,
      'tps reports forever 1999\n',
    );
    expect(created.code, created.stderr).toBe(0);
  }, 120_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('creates an application with hosts and rules, lists it, refuses a taken host and bad rules, deletes it with its client', async () => {
    const run = await keyward(
      [
        ...['protected-app', 'create', 'initech', '--name', 'Grafana'],
        ...['--host', 'grafana.initech.test', '--host', 'Grafana.initech.test:8443'],
        ...['--rule', '/admin=mfa', '--rule', '/api/admin=admin'],
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const app = JSON.parse(run.stdout);
    expect(app).toMatchObject({
      name: 'Grafana',
      hosts: ['grafana.initech.test', 'grafana.initech.test:8443'],
      rules: [
        { prefix: '/admin', require: 'mfa' },
        { prefix: '/api/admin', require: 'admin' },
      ],
    });
    const listed = await keyward(['protected-app', 'list', 'initech'], env);
    expect(JSON.parse(listed.stdout).apps.map((a: { id: string }) => a.id)).toEqual([app.id]);

    const taken = await keyward(['protected-app', 'create', 'initech', '--name', 'Again', '--host', 'grafana.initech.test'], env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/host/i);
    const badRule = await keyward(
      ['protected-app', 'create', 'initech', '--name', 'X', '--host', 'x.initech.test', '--rule', '/x=root'],
      env,
    );
    expect(badRule.code).toBe(1);
    const domain = await keyward(
      ['protected-app', 'create', 'initech', '--name', 'Wiki', '--host', 'wiki.initech.test', '--cookie-domain', 'initech.test'],
      env,
    );
    expect(domain.code, domain.stderr).toBe(0);
    expect(JSON.parse(domain.stdout)).toMatchObject({ hosts: ['wiki.initech.test'], cookieDomain: 'initech.test' });
    const badDomain = await keyward(
      ['protected-app', 'create', 'initech', '--name', 'Y', '--host', 'y.initech.test', '--cookie-domain', 'other.test'],
      env,
    );
    expect(badDomain.code).toBe(1);
    expect(badDomain.stderr).toMatch(/cookieDomain|under/i);
    const wikiDeleted = await keyward(['protected-app', 'delete', 'initech', JSON.parse(domain.stdout).id], env);
    expect(wikiDeleted.code, wikiDeleted.stderr).toBe(0);

    const deleted = await keyward(['protected-app', 'delete', 'initech', app.id], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    const handle = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(await handle.db.selectFrom('protected_apps').selectAll().execute()).toEqual([]);
      expect(await handle.db.selectFrom('oidc_clients').selectAll().execute()).toEqual([]);
      const actions = (await handle.db.selectFrom('audit_events').select('action').execute()).map((e) => e.action);
      expect(actions.filter((a) => a.startsWith('protected_app.'))).toEqual([
        'protected_app.created',
        'protected_app.created',
        'protected_app.deleted',
        'protected_app.deleted',
      ]);
    } finally {
      await handle.close();
    }
  });
});
