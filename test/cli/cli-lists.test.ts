import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyward } from '../support/cli.ts';

// Issue 13: the commands as a vendor types them (the compiled CLI, its own process, PGlite):
// `instance list`, `instance set-plan`, `operator list`, `operator disable`. What each does is
// tested in operations.test.ts; this checks the wiring, the JSON printed and the exit codes.
describe('the keyward CLI lists and changes instances and operators', { timeout: 180_000 }, () => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = { KEYWARD_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-cli-lists-')) };
  });
  afterAll(() => fs.rmSync(env.KEYWARD_DATA_DIR!, { recursive: true, force: true }));

  const run = async (args: string[], stdin = '') => {
    const result = await keyward(args, env, stdin);
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : null };
  };

  it('lists instances, moves one to another plan, lists operators and disables one', async () => {
    const created = await run(
      ['instance', 'create', 'initech', '--name', 'Initech', '--plan', 'enterprise', '--admin-email', 'bill@initech.test'],
      'a stapler of my very own\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const listed = await run(['instance', 'list']);
    expect(listed.json).toEqual([expect.objectContaining({ slug: 'initech', name: 'Initech', plan: 'enterprise' })]);
    const moved = await run(['instance', 'set-plan', 'initech', 'business']);
    expect(moved.json).toMatchObject({
      slug: 'initech',
      plan: 'business',
      changed: { before: { plan: 'enterprise' }, after: { plan: 'business' } },
    });
    const wrong = await run(['instance', 'set-plan', 'initech', 'gold']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('(invalid_request)');

    expect((await run(['operator', 'create', 'olga@vendor.test', '--name', 'Olga'], 'a vendor support passphrase\n')).code).toBe(0);
    expect((await run(['operator', 'list'])).json).toEqual([expect.objectContaining({ email: 'olga@vendor.test', status: 'active' })]);
    const disabled = await run(['operator', 'disable', 'olga@vendor.test']);
    expect(disabled.json).toMatchObject({ email: 'olga@vendor.test', status: 'disabled' });
    const missing = await run(['operator', 'disable', 'nobody@vendor.test']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(not_found)');
  });
});
