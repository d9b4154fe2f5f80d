/**
 * The CLI and the outbox on PostgreSQL: without SMTP_URL (and no dev mailbox) a command's mail
 * waits for the servers untouched. Before, the CLI tried to send every due mail on its way out,
 * failed, and counted an attempt on each: the servers' delivery was then put off by the back-off
 * (found by an operator trying docs/operations.md).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

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
