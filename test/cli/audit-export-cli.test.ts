import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyText } from '../../src/crypto/secret-box.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';

/** The engines the compiled CLI is run on: the embedded database always, PostgreSQL (a database of its own) when set. */
const targets: Array<[string, () => Promise<{ env: Record<string, string>; close(): Promise<void> }>]> = [
  [
    'the embedded database',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-audit-cli-'));
      return { env: { KEYWARD_DATA_DIR: dataDir }, close: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
    },
  ],
];
if (process.env.TEST_DATABASE_URL)
  targets.push([
    'PostgreSQL',
    async () => {
      const database = await freshPostgresDatabase();
      const handle = await openDatabase({ kind: 'postgres', url: database.url });
      await migrateToLatest(handle.db);
      await handle.close();
      return { env: { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() }, close: () => database.drop() };
    },
  ]);

// Issue 15: `keyward audit export` as an operator types it (the compiled CLI, its own process).
describe.each(targets)('keyward audit export on %s', { timeout: 180_000 }, (_name, open) => {
  let target: Awaited<ReturnType<typeof open>>;
  let outDir: string;
  beforeAll(async () => {
    target = await open();
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-audit-out-'));
  });
  afterAll(async () => {
    await target?.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('writes the instance’s events as JSON Lines to stdout or a file, keeps to --since, and refuses an unknown slug and a bad time', async () => {
    const created = await keyward(
      ['instance', 'create', 'archive-co', '--name', 'Archive Co', '--plan', 'business', '--admin-email', 'ada@archive.test'],
      target.env,
      'an archivist passphrase\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const user = await keyward(['user', 'create', 'archive-co', 'bob@archive.test'], target.env, 'a second passphrase 42\n');
    expect(user.code, user.stderr).toBe(0);

    const all = await keyward(['audit', 'export', 'archive-co'], target.env);
    expect(all.code, all.stderr).toBe(0);
    const events = all.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; at: string; action: string; actor: { type: string } });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((e) => Number(e.id)).sort((a, b) => a - b));
    expect(events.map((e) => e.action)).toContain('user.created');
    expect(events.every((e) => e.actor.type === 'cli')).toBe(true);
    expect(all.stderr).toContain(`Exported ${events.length} audit events of archive-co`);

    const file = path.join(outDir, 'archive.jsonl');
    const since = events[events.length - 1]!.at;
    const later = await keyward(['audit', 'export', 'archive-co', '--since', since, '--output', file], target.env);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe('');
    const written = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(written.map((line) => (JSON.parse(line) as { at: string }).at).every((at) => at >= since)).toBe(true);
    expect(written).toContain(all.stdout.trimEnd().split('\n').at(-1));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const unknown = await keyward(['audit', 'export', 'no-such-co', '--output', path.join(outDir, 'none.jsonl')], target.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(not_found)');
    expect(fs.existsSync(path.join(outDir, 'none.jsonl'))).toBe(false);
    const badTime = await keyward(['audit', 'export', 'archive-co', '--until', 'last tuesday'], target.env);
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain('(invalid_request)');
    expect(badTime.stdout).toBe('');
    // A bad retention setting stops the command with the configuration error alone, no stack trace.
    const badSetting = await keyward(['audit', 'export', 'archive-co'], { ...target.env, KEYWARD_AUDIT_RETENTION_DAYS: '0' });
    expect(badSetting.code).toBe(1);
    expect(badSetting.stderr).toContain('KEYWARD_AUDIT_RETENTION_DAYS');
    expect(badSetting.stderr).not.toMatch(/^\s+at /m);
  });
});
