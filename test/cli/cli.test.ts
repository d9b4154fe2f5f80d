import { generateKeyText } from '../../src/crypto/secret-box.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';

// Each command is a process of its own (the compiled CLI, PGlite, migrations): generous time on a busy machine.
describe('the keyward CLI on the embedded database', { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-cli-'));
    env = { KEYWARD_DATA_DIR: dataDir };
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function query<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
    const handle = await openDatabase({ kind: 'pglite', dataDir });
    try {
      return await work(handle.db);
    } finally {
      await handle.close();
    }
  }

  it('creates an instance with its admin, the password read from stdin, and prints it', async () => {
    const run = await keyward(
      [
        'instance',
        'create',
        'globex',
        '--name',
        'Globex Corp',
        '--plan',
        'business',
        '--admin-email',
        'Hank@Globex.test',
        '--admin-name',
        'Hank Scorpio',
      ],
      env,
      'volcano lair 2026\n',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      slug: 'globex',
      name: 'Globex Corp',
      plan: 'business',
      admin: { email: 'Hank@Globex.test', role: 'admin', name: 'Hank Scorpio' },
    });
    const admin = await query((db) =>
      db.selectFrom('users').selectAll().where('email_key', '=', 'hank@globex.test').executeTakeFirstOrThrow(),
    );
    expect(admin.password_hash).toMatch(/^\$argon2id\$/);
    expect(admin.password_hash).not.toContain('volcano');
    // The welcome mail went to the dev mailbox (no SMTP_URL).
    const mail = await query((db) => db.selectFrom('dev_mailbox').selectAll().where('recipient', '=', 'Hank@Globex.test').execute());
    expect(mail).toHaveLength(1);
  });

  it('creates a user and refuses a duplicate, a weak password and an unknown instance with clear errors', async () => {
    const ok = await keyward(
      ['user', 'create', 'globex', 'homer@globex.test', '--name', 'Homer', '--role', 'member'],
      env,
      'donuts are great 42\n',
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ email: 'homer@globex.test', role: 'member', status: 'active' });

    const dup = await keyward(['user', 'create', 'globex', 'HOMER@globex.test'], env, 'donuts are great 42\n');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('(conflict)');
    const weak = await keyward(['user', 'create', 'globex', 'bart@globex.test'], env, 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('(weak_password)');
    const missing = await keyward(['user', 'create', 'nope', 'x@globex.test'], env, 'donuts are great 42\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(not_found)');
    const nostdin = await keyward(['user', 'create', 'globex', 'lisa@globex.test'], env, '');
    expect(nostdin.code).toBe(1);
    expect(nostdin.stderr).toContain('No password on standard input');
  });

  it('invites a user without a password, lists users and disables and enables one, never the last administrator', async () => {
    const created = await keyward(
      ['instance', 'create', 'initech', '--name', 'Initech', '--plan', 'professional', '--admin-email', 'bill@initech.test'],
      env,
      'tps reports are due 7\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const invited = await keyward(['user', 'create', 'initech', 'peter.gibbons@initech.test', '--name', 'Peter Gibbons', '--invite'], env);
    expect(invited.code, invited.stderr).toBe(0);
    const mail = await query((db) =>
      db.selectFrom('dev_mailbox').selectAll().where('recipient', '=', 'peter.gibbons@initech.test').executeTakeFirst(),
    );
    expect(mail?.subject).toBe('You are invited to Initech');
    expect(mail?.text_body).toContain('/i/initech/login');
    expect(mail?.text_body).toMatch(/\/invite\?instance=initech#token=/);

    const list = await keyward(['user', 'list', 'initech', '--limit', '1'], env);
    expect(list.code, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page.users).toEqual([expect.objectContaining({ email: 'bill@initech.test', invited: false })]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = JSON.parse((await keyward(['user', 'list', 'initech', '--limit', '1', '--cursor', page.nextCursor], env)).stdout);
    expect(next.users).toEqual([expect.objectContaining({ email: 'peter.gibbons@initech.test', invited: true, status: 'active' })]);
    expect((await keyward(['user', 'list', 'initech', '--limit', '500'], env)).code).toBe(1);

    const disabled = await keyward(['user', 'disable', 'initech', 'Peter.Gibbons@initech.test'], env);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ email: 'peter.gibbons@initech.test', status: 'disabled' });
    const lastAdmin = await keyward(['user', 'disable', 'initech', 'bill@initech.test'], env);
    expect(lastAdmin.code).toBe(1);
    expect(lastAdmin.stderr).toContain('(forbidden)');
    expect((await keyward(['user', 'disable', 'initech', 'nobody@initech.test'], env)).stderr).toContain('(not_found)');
    const enabled = await keyward(['user', 'enable', 'initech', 'peter.gibbons@initech.test'], env);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ status: 'active' });
    const { events, subjects } = await query(async (db) => ({
      events: await db
        .selectFrom('audit_events')
        .select(['action', 'actor_type'])
        .where('action', 'in', ['user.disabled', 'user.enabled'])
        .where('target_label', 'like', '%peter.gibbons%')
        .orderBy('id')
        .execute(),
      subjects: (await db.selectFrom('dev_mailbox').select('subject').where('recipient', '=', 'peter.gibbons@initech.test').execute()).map(
        (row) => row.subject,
      ),
    }));
    expect(events).toEqual([
      { action: 'user.disabled', actor_type: 'cli' },
      { action: 'user.enabled', actor_type: 'cli' },
    ]);
    expect(subjects).toEqual(expect.arrayContaining(['Your Initech account was disabled', 'Your Initech account was enabled again']));
  });

  it('imports users from CSV with a progress bar, one error per bad line, and again without duplicates', async () => {
    const csv = path.join(dataDir, 'users.csv');
    fs.writeFileSync(
      csv,
      [
        'email,name,role,password',
        'marge@globex.test,Marge,member,blue hair forever',
        'not-an-email,Broken,member,',
        'lenny@globex.test,Lenny,overlord,',
        'carl@globex.test,Carl,admin,',
        'HOMER@globex.test,Homer again,member,',
        'moe@globex.test,Moe,member,short',
        'marge@GLOBEX.test,Marge twice,member,',
      ].join('\n'),
    );
    const first = await keyward(['user', 'import', 'globex', csv], env);
    expect(first.code).toBe(2);
    const report = JSON.parse(first.stdout);
    expect(report.created).toBe(2);
    expect(report.skipped).toBe(1);
    expect(report.errors.map((e: { line: number; field: string }) => [e.line, e.field])).toEqual([
      [3, 'email'],
      [4, 'role'],
      [7, 'password'],
      [8, 'email'],
    ]);
    expect(first.stderr).toMatch(/Importing \[.*\] 7\/7 lines/);
    expect(first.stderr).toContain('line 3: email:');

    const second = await keyward(['user', 'import', 'globex', csv], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, skipped: 3 });
    const count = await query((db) =>
      db
        .selectFrom('users')
        .innerJoin('instances', 'instances.id', 'users.instance_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('instances.slug', '=', 'globex')
        .executeTakeFirstOrThrow(),
    );
    expect(Number(count.n)).toBe(4);
    const carl = await query((db) =>
      db.selectFrom('users').selectAll().where('email_key', '=', 'carl@globex.test').executeTakeFirstOrThrow(),
    );
    expect(carl).toMatchObject({ role: 'admin', password_hash: null });
  });

  it('refuses a file without the expected header', async () => {
    const csv = path.join(dataDir, 'bad.csv');
    fs.writeFileSync(csv, 'mail,fullname\nx@y.test,X\n');
    const run = await keyward(['user', 'import', 'globex', csv], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('header email,name,role[,password]');
  });

  it('creates a support operator outside every instance and runs migrations on demand', async () => {
    const op = await keyward(['operator', 'create', 'Sam@Vendor.test', '--name', 'Sam Support'], env, 'support desk password\n');
    expect(op.code, op.stderr).toBe(0);
    expect(JSON.parse(op.stdout)).toMatchObject({ email: 'Sam@Vendor.test', name: 'Sam Support' });
    const migrate = await keyward(['migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('up to date');
    const reset = await keyward(['operator', 'reset-2fa', 'sam@vendor.test'], env);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ email: 'Sam@Vendor.test' });
  });

  it('resets a user’s 2FA as break-glass, only with a verification record, and leaves the same audit event', async () => {
    const missing = await keyward(['two-factor', 'reset', 'globex', 'hank@globex.test', '--method', 'phone_callback'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--reference');
    const bad = await keyward(
      ['two-factor', 'reset', 'globex', 'hank@globex.test', '--method', 'gut_feeling', '--reference', 'INC-1'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Choose how the identity was verified');
    const run = await keyward(
      ['two-factor', 'reset', 'globex', 'HANK@globex.test', '--method', 'phone_callback', '--reference', 'INC-1'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ email: 'Hank@Globex.test', role: 'admin', twoFactor: 'reset' });
    const events = await query((db) =>
      db.selectFrom('audit_events').selectAll().where('action', '=', 'two_factor.reset').orderBy('id').execute(),
    );
    // The operator's reset of the test before, then this one.
    expect(events.map((e) => [e.instance_id === null, e.target_label])).toEqual([
      [true, 'Support: Sam Support <Sam@Vendor.test>'],
      [false, 'Hank Scorpio <Hank@Globex.test>'],
    ]);
    events.shift();
    expect(events[0]).toMatchObject({
      actor_type: 'cli',
      target_label: 'Hank Scorpio <Hank@Globex.test>',
      details: { by: 'cli', verification: { method: 'phone_callback', reference: 'INC-1', notes: null } },
    });
    expect(events[0]!.actor_label).toMatch(/^CLI: .+@.+/);
    // Accounts the CLI created (the instance's admin, users) left a trace too.
    const created = await query((db) =>
      db
        .selectFrom('audit_events')
        .select(['actor_type', 'target_label', 'details'])
        .where('action', '=', 'user.created')
        .orderBy('id')
        .execute(),
    );
    expect(created[0]).toMatchObject({
      actor_type: 'cli',
      target_label: 'Hank Scorpio <Hank@Globex.test>',
      details: { role: 'admin', firstAdmin: true },
    });
  });
});

describe('the keyward CLI beside a running server', { timeout: 120_000 }, () => {
  it('refuses to open an embedded database another live process holds, with a clear message', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-lock-'));
    // A live process (this test runner) holds the lock, as a running server would.
    fs.writeFileSync(path.join(dataDir, 'keyward.lock'), String(process.pid));
    const run = await keyward(['migrate'], { KEYWARD_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`in use by process ${process.pid}`);
    expect(run.stderr).toContain('DATABASE_URL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('the keyward CLI on PostgreSQL (DATABASE_URL)', { timeout: 120_000 }, () => {
  // A database of its own: the CLI drains the outbox before it exits, and in the database the
  // other test files share it claimed their mail, which its own secret key cannot open, and put
  // it off with a backoff (a recovery mail then went missing in another file's test).
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const handle = await openDatabase({ kind: 'postgres', url: database.url });
    await migrateToLatest(handle.db);
    await handle.close();
  });
  afterAll(async () => database?.drop());

  it('creates an instance and a user in the PostgreSQL database', async () => {
    const slug = `cli-${Date.now().toString(36)}`;
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText() };
    const created = await keyward(
      ['instance', 'create', slug, '--name', 'PG Corp', '--plan', 'enterprise', '--admin-email', `admin@${slug}.test`],
      env,
      'postgres password 1\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const user = await keyward(['user', 'create', slug, `member@${slug}.test`], env, 'postgres password 2\n');
    expect(user.code, user.stderr).toBe(0);
    const handle = await openDatabase({ kind: 'postgres', url: database.url });
    const rows = await handle.db
      .selectFrom('users')
      .innerJoin('instances', 'instances.id', 'users.instance_id')
      .select('users.email')
      .where('instances.slug', '=', slug)
      .execute();
    await handle.close();
    expect(rows.map((r) => r.email).sort()).toEqual([`admin@${slug}.test`, `member@${slug}.test`]);
  });
});
