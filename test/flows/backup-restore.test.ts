/**
 * docs/operations.md "Backup and restore", on real server processes: PostgreSQL with pg_dump -Fc
 * and pg_restore into a new empty database, the embedded database by stopping the server and
 * copying its data dir. What a restore brings back (a backup code used after the dump, a session
 * ended after it), and that only the same key opens the restored copy.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { oathtool } from '../support/oathtool.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { migratedDataDir } from '../support/pglite-snapshot.ts';
import { keyward } from '../support/cli.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

const PASSWORD = 'a long enough password for the backup';
const pgDumpFound = spawnSync('pg_dump', ['--version']).status === 0 && spawnSync('pg_restore', ['--version']).status === 0;
// CI must run this: there, a missing pg_dump is a failure, not a skip (.ci/run installs postgresql-client).
if (!pgDumpFound && process.env.CI === 'true' && process.env.TEST_DATABASE_URL) {
  throw new Error('CI=true but pg_dump or pg_restore is missing: .ci/run installs postgresql-client');
}

/** Starts the server and expects it to refuse: the output it wrote before exiting. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const failure = await startServer(env).then(
    async (server) => (await server.stop(), null),
    (error: Error) => error.message,
  );
  expect(failure, 'the server started').not.toBeNull();
  return failure!;
}

/** The newest `Backup code:` line mailed to `email` (the dev mailbox), waiting a bounded time for the outbox. */
async function mailedBackupCode(server: ServerProcess, email: string, notThis?: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { messages } = (await (await fetch(`${server.origin}/api/v1/dev/mailbox`)).json()) as {
      messages: { to: string; text: string }[];
    };
    const code = messages
      .filter((m) => m.to === email)
      .map((m) => m.text.match(/^Backup code: (\S+)$/m)?.[1])
      .find((c) => c && c !== notThis);
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no backup code mailed to ${email}`);
}

/** A user with a password and an app: the first instance's administrator, created by the CLI, then 2FA set up through the API. */
async function givenAdminWithApp(server: ServerProcess, env: Record<string, string>, slug: string) {
  const email = `ada@${slug}.test`;
  const created = await keyward(
    ['instance', 'create', slug, '--name', 'Backed up', '--plan', 'enterprise', '--admin-email', email],
    env,
    `${PASSWORD}\n`,
  );
  expect(created.code, created.stderr).toBe(0);
  const owner = new HttpClient(server.origin);
  expect((await owner.post('/api/v1/auth/login', { instance: slug, email, password: PASSWORD })).json).toEqual({ next: 'done' });
  expect((await owner.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
  const { secret } = (await owner.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json;
  expect((await owner.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, new Date()) })).json).toEqual({ next: 'done' });
  return { email, secret: secret as string, backupCode: await mailedBackupCode(server, email), session: owner };
}

/** Password, then `second` (a TOTP code or a backup code), from a new browser: the final step's status and body. */
async function login(server: ServerProcess, slug: string, email: string, second: { code: string } | { backupCode: string }) {
  const client = new HttpClient(server.origin);
  expect((await client.post('/api/v1/auth/login', { instance: slug, email, password: PASSWORD })).json).toMatchObject({ next: 'verify' });
  const verified = await client.post('/api/v1/auth/verify', second);
  return { status: verified.status, json: verified.json, client };
}

/** The session of `from` presented to `server`: GET /api/v1/me's status. */
async function meStatus(server: ServerProcess, from: HttpClient): Promise<number> {
  const client = new HttpClient(server.origin);
  for (const [name, value] of from.cookies) client.cookies.set(name, value);
  return (await client.request('GET', '/api/v1/me')).status;
}

describe.runIf(process.env.TEST_DATABASE_URL && pgDumpFound)('backup and restore on PostgreSQL', { timeout: 60_000 }, () => {
  const key = generateKeyText();
  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-dump-'));
  const dumpFile = path.join(dumpDir, 'keyward.dump');
  let source: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let target: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let original: ServerProcess | null = null;
  let restored: ServerProcess | null = null;
  beforeAll(async () => {
    // Named after the test database (TEST_DATABASE_URL's), so that several checkouts on one server keep apart.
    const prefix = `${new URL(process.env.TEST_DATABASE_URL!).pathname.slice(1)}_bk`;
    source = await freshPostgresDatabase(prefix);
    target = await freshPostgresDatabase(prefix);
  });
  afterAll(async () => {
    await Promise.all([original?.stop(), restored?.stop()]);
    await Promise.all([source?.drop(), target?.drop()]);
    fs.rmSync(dumpDir, { recursive: true, force: true });
  });

  it('restores a pg_dump -Fc into an empty database that serves with the same key only, bringing back what changed after the dump', async () => {
    const env = { DATABASE_URL: source.url, KEYWARD_SECRET_KEY: key };
    original = await startServer(env);
    const { email, secret, backupCode, session } = await givenAdminWithApp(original, env, 'backed-up');

    // Online: pg_dump reads one consistent snapshot while the server serves.
    const dump = spawnSync('pg_dump', ['-Fc', '--no-owner', '-f', dumpFile, source.url], { encoding: 'utf8' });
    expect(dump.status, dump.stderr).toBe(0);

    // After the dump: the backup code is used, and the owner's session ends.
    expect((await login(original, 'backed-up', email, { backupCode })).json).toEqual({ next: 'done' });
    expect((await login(original, 'backed-up', email, { backupCode })).json.error.code).toBe('invalid_credentials');
    const newCode = await mailedBackupCode(original, email, backupCode);
    // The cookie as it was, since logging out clears it in this browser (a stolen copy keeps it).
    const kept = new HttpClient(original.origin);
    for (const [name, value] of session.cookies) kept.cookies.set(name, value);
    expect(await meStatus(original, kept)).toBe(200);
    expect((await session.post('/api/v1/auth/logout')).status).toBe(204);
    expect(await meStatus(original, kept)).toBe(401);
    await original.stop();
    original = null;

    const restore = spawnSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', target.url, dumpFile], { encoding: 'utf8' });
    expect(restore.status, restore.stderr).toBe(0);

    // Another key does not open the restored key check: refused at start, naming the key.
    const refused = await refusedStart({ DATABASE_URL: target.url, KEYWARD_SECRET_KEY: generateKeyText() });
    expect(refused).toContain("KEYWARD_SECRET_KEY does not open this database's key check");

    restored = await startServer({ DATABASE_URL: target.url, KEYWARD_SECRET_KEY: key });
    // The TOTP secret opens with the same key: password and a code (the next step: setup used this one).
    expect((await login(restored, 'backed-up', email, { code: oathtool(secret, new Date(), 1) })).json).toEqual({ next: 'done' });
    // What the restore brings back: the session ended after the dump, and the backup code used after it.
    expect(await meStatus(restored, kept)).toBe(200);
    expect((await login(restored, 'backed-up', email, { backupCode: newCode })).json.error.code).toBe('invalid_credentials');
    expect((await login(restored, 'backed-up', email, { backupCode })).json).toEqual({ next: 'done' });

    // The docs' advice after a restore: end every session (the forward-auth sessions go with them).
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await client.query('DELETE FROM sessions; DELETE FROM operator_sessions;');
    } finally {
      await client.end();
    }
    expect(await meStatus(restored, kept)).toBe(401);
  });
});

describe('backup and restore of the embedded database', { timeout: 60_000 }, () => {
  const copies: string[] = [];
  let server: ServerProcess | null = null;
  // Each test's last server stops after it: the next test's startServer overwrote the reference,
  // and the first test's server on its copy kept running after the run (seen in a CI clone).
  afterEach(async () => {
    await server?.stop();
    server = null;
  });
  afterAll(() => {
    for (const dir of copies) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a copy of the data dir made with the server stopped serves, with its secret.key; without it the start is refused', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-backup-src-'));
    copies.push(dataDir);
    // A migrated data dir without instances, as startServer's own (no initdb here).
    fs.cpSync(await migratedDataDir(), dataDir, { recursive: true });
    server = await startServer({ KEYWARD_DATA_DIR: dataDir });
    // The CLI reaches the running server through its control socket (one process owns PGlite).
    const { email, secret } = await givenAdminWithApp(server, { KEYWARD_DATA_DIR: dataDir }, 'embedded');
    await server.stop();
    server = null;

    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-backup-copy-'));
    copies.push(copy);
    fs.cpSync(dataDir, copy, { recursive: true });
    // The generated key is kept apart from the database files; the copy without it does not open.
    const keyFile = path.join(copy, 'secret.key');
    const savedKey = fs.readFileSync(keyFile);
    fs.rmSync(keyFile);
    expect(await refusedStart({ KEYWARD_DATA_DIR: copy })).toContain("KEYWARD_SECRET_KEY does not open this database's key check");
    fs.writeFileSync(keyFile, savedKey, { mode: 0o600 });

    server = await startServer({ KEYWARD_DATA_DIR: copy });
    expect((await login(server, 'embedded', email, { code: oathtool(secret, new Date(), 1) })).json).toEqual({ next: 'done' });
  });

  it('keyward backup writes the running server’s database, and keyward restore makes an empty data dir of it that serves with the key', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-online-src-'));
    const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-online-restored-'));
    copies.push(dataDir, restoredDir);
    fs.cpSync(await migratedDataDir(), dataDir, { recursive: true });
    const file = path.join(dataDir, '..', `${path.basename(dataDir)}.backup`);
    copies.push(file);
    server = await startServer({ KEYWARD_DATA_DIR: dataDir });
    const { email, secret, backupCode } = await givenAdminWithApp(server, { KEYWARD_DATA_DIR: dataDir }, 'online');

    // While the server holds the database, the CLI asks it for the backup (control socket).
    const backup = await keyward(['backup', '--output', file], { KEYWARD_DATA_DIR: dataDir });
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toEqual({ output: file, bytes: fs.statSync(file).size });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // After the backup: the backup code is used.
    expect((await login(server, 'online', email, { backupCode })).json).toEqual({ next: 'done' });
    await server.stop();
    server = null;
    // With the server stopped, the CLI opens the database itself; that backup restores too.
    const offlineFile = `${file}.offline`;
    const offlineDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-offline-restored-'));
    copies.push(offlineFile, offlineDir);
    expect((await keyward(['backup', '--output', offlineFile], { KEYWARD_DATA_DIR: dataDir })).code).toBe(0);
    expect((await keyward(['restore', '--input', offlineFile], { KEYWARD_DATA_DIR: offlineDir })).code).toBe(0);
    fs.copyFileSync(path.join(dataDir, 'secret.key'), path.join(offlineDir, 'secret.key'));
    const listed = await keyward(['instance', 'list'], { KEYWARD_DATA_DIR: offlineDir });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"online"');

    const restore = await keyward(['restore', '--input', file], { KEYWARD_DATA_DIR: restoredDir });
    expect(restore.code, restore.stderr).toBe(0);
    // Never over a database: a second restore into the same data dir is refused.
    const again = await keyward(['restore', '--input', file], { KEYWARD_DATA_DIR: restoredDir });
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('already holds a database')]);
    // The backup holds no key: the generated one is copied apart.
    expect(fs.existsSync(path.join(restoredDir, 'secret.key'))).toBe(false);
    fs.copyFileSync(path.join(dataDir, 'secret.key'), path.join(restoredDir, 'secret.key'));

    server = await startServer({ KEYWARD_DATA_DIR: restoredDir });
    expect((await login(server, 'online', email, { code: oathtool(secret, new Date(), 1) })).json).toEqual({ next: 'done' });
    // The backup code used after the backup is usable again in the restored copy.
    expect((await login(server, 'online', email, { backupCode })).json).toEqual({ next: 'done' });
  });

  it('keyward backup refuses DATABASE_URL (pg_dump backs up PostgreSQL)', async () => {
    const run = await keyward(['backup', '--output', path.join(os.tmpdir(), 'never.backup')], {
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
      KEYWARD_SECRET_KEY: generateKeyText(),
    });
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining('pg_dump')]);
  });
});
