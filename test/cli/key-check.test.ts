/**
 * The key check (SPEC §8, issue 15): a process that would seal with another key than the
 * database's refuses to start, naming KEYWARD_SECRET_KEY; the same key, or a rotation list that
 * still holds the old key, starts. On the embedded database (always) and on PostgreSQL, where
 * DATABASE_URL without KEYWARD_SECRET_KEY is refused outright.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../support/server-process.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';
import { generateKeyText, parseKey } from '../../src/crypto/secret-box.ts';

/** Starts the server and expects it to refuse: the output it wrote before exiting. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const failure = await startServer(env).then(
    async (server) => {
      await server.stop();
      return null;
    },
    (error: Error) => error.message,
  );
  expect(failure, 'the server started').not.toBeNull();
  return failure!;
}

describe('the key check on the embedded database', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-key-check-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses another key than the one the database was sealed with, and starts with a rotation list holding it', async () => {
    // First start: a key generated into the data dir seals the check.
    const first = await startServer({ KEYWARD_DATA_DIR: dataDir });
    await first.stop().catch(() => {});
    fs.mkdirSync(dataDir, { recursive: true });
    const generated = fs.readFileSync(path.join(dataDir, 'secret.key'), 'utf8').trim();
    const other = generateKeyText();

    const output = await refusedStart({ KEYWARD_DATA_DIR: dataDir, KEYWARD_SECRET_KEY: other });
    expect(output).toContain('exited (code 1)');
    expect(output).toContain(
      `KEYWARD_SECRET_KEY does not open this database's key check: it was sealed with key ${parseKey(generated).id}`,
    );
    expect(output).not.toContain('    at '); // a message for a person, not a stack trace

    // A rotation: the new key first, the old one still listed.
    const rotating = await startServer({ KEYWARD_DATA_DIR: dataDir, KEYWARD_SECRET_KEY: `${other},${generated}` });
    expect((await fetch(`${rotating.origin}/readyz`)).status).toBe(200);
    await rotating.stop().catch(() => {});
  });

  it('keyward generate-key prints a key the server accepts', async () => {
    const run = await keyward(['generate-key'], {});
    expect(run.code, run.stderr).toBe(0);
    expect(parseKey(run.stdout.trim()).key).toHaveLength(32);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('the key check on PostgreSQL', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
  });
  afterAll(async () => database?.drop());

  it('refuses DATABASE_URL without KEYWARD_SECRET_KEY, the server and the CLI alike', async () => {
    const output = await refusedStart({ DATABASE_URL: database.url });
    expect(output).toContain('DATABASE_URL is set but KEYWARD_SECRET_KEY is not');
    const cli = await keyward(['instance', 'list'], { DATABASE_URL: database.url });
    expect([cli.code, cli.stderr]).toEqual([1, expect.stringContaining('KEYWARD_SECRET_KEY is not')]);
  });

  it('lets a second process with the same key start, and refuses one with another key', async () => {
    const key = generateKeyText();
    const first = await startServer({ DATABASE_URL: database.url, KEYWARD_SECRET_KEY: key });
    try {
      const second = await startServer({ DATABASE_URL: database.url, KEYWARD_SECRET_KEY: key });
      expect((await fetch(`${second.origin}/readyz`)).status).toBe(200);
      await second.stop();
      const output = await refusedStart({ DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() });
      expect(output).toContain(`it was sealed with key ${parseKey(key).id}`);
    } finally {
      await first.stop();
    }
  });

  it('keyward rotate-key moves the database to the new key: then the new key alone starts and the old one alone is refused', async () => {
    const own = await freshPostgresDatabase();
    try {
      const oldKey = generateKeyText();
      const newKey = generateKeyText();
      const created = await keyward(
        ['instance', 'create', 'rotated', '--name', 'Rotated', '--plan', 'enterprise', '--admin-email', 'ada@rotated.test'],
        { DATABASE_URL: own.url, KEYWARD_SECRET_KEY: oldKey },
        'a long enough password\n',
      );
      expect(created.code, created.stderr).toBe(0);
      const rotated = await keyward(['rotate-key'], { DATABASE_URL: own.url, KEYWARD_SECRET_KEY: `${newKey},${oldKey}` });
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({
        keyId: parseKey(newKey).id,
        keyCheckUpdated: true,
        kinds: { mail_text: { resealed: 1, unreadable: 0 } },
      });
      const newOnly = await keyward(['instance', 'list'], { DATABASE_URL: own.url, KEYWARD_SECRET_KEY: newKey });
      expect(newOnly.code, newOnly.stderr).toBe(0);
      const oldOnly = await keyward(['instance', 'list'], { DATABASE_URL: own.url, KEYWARD_SECRET_KEY: oldKey });
      expect([oldOnly.code, oldOnly.stderr]).toEqual([1, expect.stringContaining(`it was sealed with key ${parseKey(newKey).id}`)]);
    } finally {
      await own.drop();
    }
  });
});
