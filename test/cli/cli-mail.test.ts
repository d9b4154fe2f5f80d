/**
 * The CLI and the outbox on PostgreSQL: without SMTP_URL (and no dev mailbox) a command's mail
 * waits for the servers untouched. Before, the CLI tried to send every due mail on its way out,
 * failed, and counted an attempt on each: the servers' delivery was then put off by the back-off
 * (found by an operator trying docs/operations.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';
import { CLI_MAIL_LIMIT, MORE_MAIL_NOTICE } from '../../src/cli/context.ts';

const PASSWORD = 'a long enough password';

describe.runIf(process.env.TEST_DATABASE_URL)('the CLI leaves mail it cannot send to the servers', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText(), KEYWARD_DEV_MAILBOX: '0' };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('queues a new user’s mail without an attempt, and says nothing of a failed delivery', async () => {
    const created = await keyward(
      ['instance', 'create', 'acme', '--name', 'Acme', '--plan', 'professional', '--admin-email', 'ada@acme.test'],
      env,
      `${PASSWORD}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    const user = await keyward(['user', 'create', 'acme', 'max@acme.test', '--name', 'Max', '--role', 'member'], env, `${PASSWORD}\n`);
    expect(user.code, user.stderr).toBe(0);
    expect(user.stderr).not.toContain('mail delivery failed');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ recipient: string; status: string; attempts: number; last_error: string | null }>(
        'select recipient, status, attempts, last_error from outbox order by id',
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row, row.recipient).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
    } finally {
      await client.end();
    }
  });
});

/**
 * An import's invitations, one per user, with a transport: the CLI delivers at most
 * CLI_MAIL_LIMIT of the due mail before it exits, says that more waits, and leaves the rest
 * pending for the servers. Before, it sent them all, one at a time, after the progress bar had
 * ended: minutes for 100,000 users with nothing shown.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('the CLI leaves an import’s many mails to the servers', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-cli-mail-'));
    // The dev mailbox is a transport: every mail it takes is delivered (kept in its table).
    env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText(), KEYWARD_DEV_MAILBOX: '1' };
  });
  afterAll(async () => {
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`sends at most ${CLI_MAIL_LIMIT} mails itself, says more waits, and leaves the rest pending`, async () => {
    const created = await keyward(
      ['instance', 'create', 'bulk', '--name', 'Bulk', '--plan', 'professional', '--admin-email', 'ada@bulk.test'],
      env,
      `${PASSWORD}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).not.toContain(MORE_MAIL_NOTICE);
    // Exactly the limit: all of it goes, and nothing is said.
    const exact = path.join(dir, 'exact.csv');
    fs.writeFileSync(
      exact,
      ['email,name,role', ...Array.from({ length: CLI_MAIL_LIMIT }, (_, i) => `e${i}@bulk.test,Exact ${i},member`)].join('\n'),
    );
    const exactly = await keyward(['user', 'import', 'bulk', exact], env);
    expect(exactly.code, exactly.stderr).toBe(0);
    expect(exactly.stderr).not.toContain(MORE_MAIL_NOTICE);
    const users = CLI_MAIL_LIMIT + 50;
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(file, ['email,name,role', ...Array.from({ length: users }, (_, i) => `u${i}@bulk.test,User ${i},member`)].join('\n'));
    const imported = await keyward(['user', 'import', 'bulk', file], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: users });
    expect(imported.stderr).toContain(MORE_MAIL_NOTICE);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ status: string; n: string }>(
        `select status, count(*) as n from outbox where recipient like 'u%@bulk.test' group by status`,
      );
      const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      expect(by).toEqual({ sent: CLI_MAIL_LIMIT, pending: users - CLI_MAIL_LIMIT });
      const kept = await client.query<{ n: string }>(`select count(*) as n from dev_mailbox where recipient like 'u%@bulk.test'`);
      expect(Number(kept.rows[0]!.n)).toBe(CLI_MAIL_LIMIT);
      const exactSent = await client.query<{ n: string }>(
        `select count(*) as n from outbox where recipient like 'e%@bulk.test' and status = 'sent'`,
      );
      expect(Number(exactSent.rows[0]!.n)).toBe(CLI_MAIL_LIMIT);
    } finally {
      await client.end();
    }
  });
});
