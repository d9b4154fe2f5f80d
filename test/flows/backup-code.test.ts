import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { openTestDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOutboxWorker, type OutboxWorker } from '../../src/mail/outbox-worker.ts';
import { smtpTransport } from '../../src/mail/transport.ts';
import { eventTime } from '../../src/domain/mail/mail-time.ts';

const CODE_LINE = /^Backup code: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$/m;

describe('backup codes by email, through a real SMTP server', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  let sink: SmtpSink;
  let worker: OutboxWorker;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = await testDeps(database);
    app = await testApp(deps);
    sink = new SmtpSink();
    await sink.start();
    worker = createOutboxWorker(
      deps.stores.outbox,
      smtpTransport(sink.url, 'keyward <no-reply@keyward.test>', 'keyward.test'),
      deps.secretBox,
      deps.clock,
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await worker.stop();
    await sink.stop();
    await app.close();
    await database.close();
  });

  /** The mails with a backup code that `to` received, oldest first, after delivering what is due. */
  async function codeMails(to: string) {
    await worker.drain();
    return sink.received.filter((m) => m.to.includes(to) && CODE_LINE.test(m.text));
  }
  const codeOf = (mail: { text: string }) => CODE_LINE.exec(mail.text)![1]!;

  async function enrolled() {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
    deps.clock.advanceSeconds(30);
    return { instance, admin, secret, client };
  }
  const atVerify = async (slug: string, email: string) => {
    const c = new Client(app);
    expect((await c.login(slug, email, PASSWORD)).json().next).toBe('verify');
    return c;
  };

  it('emails a backup code when setup is confirmed, in plain text and HTML, explaining its use', async () => {
    const { admin } = await enrolled();
    const mails = await codeMails(admin.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('Your backup code');
    expect(mails[0]!.text).toContain("I don't have my device");
    expect(mails[0]!.html).toContain(codeOf(mails[0]!));
  });

  it('logs in with the emailed code, emails the next one with when and where, and refuses the old one', async () => {
    const { instance, admin } = await enrolled();
    const [first] = await codeMails(admin.email);
    const client = await atVerify(instance.slug, admin.email);
    expect((await client.post('/api/v1/auth/verify', { backupCode: codeOf(first!) })).json()).toEqual({ next: 'done' });
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);

    const mails = await codeMails(admin.email);
    expect(mails).toHaveLength(2);
    const second = mails[1]!;
    expect(second.subject).toContain('was used');
    expect(second.text).toContain(client.ip);
    expect(second.text).toContain(eventTime(deps.clock.now()));
    expect(codeOf(second)).not.toBe(codeOf(first!));

    const again = await atVerify(instance.slug, admin.email);
    expect(errorCode(await again.post('/api/v1/auth/verify', { backupCode: codeOf(first!) }))).toBe('invalid_credentials');
    // The new code works with spaces instead of dashes and in lower case.
    const typed = codeOf(second).replace(/-/g, ' ').toLowerCase();
    expect((await again.post('/api/v1/auth/verify', { backupCode: ` ${typed} ` })).json()).toEqual({ next: 'done' });
  });

  it('does not make the browser a known location after a backup code', async () => {
    const { instance, admin } = await enrolled();
    const [mail] = await codeMails(admin.email);
    const client = await atVerify(instance.slug, admin.email);
    expect((await client.post('/api/v1/auth/verify', { backupCode: codeOf(mail!) })).json()).toEqual({ next: 'done' });
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json().next).toBe('verify');
  });

  it('never accepts one user’s code for another user, and leaves it valid for its owner', async () => {
    const { instance, admin } = await enrolled();
    const [mail] = await codeMails(admin.email);
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    await memberClient.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const { secret } = (await memberClient.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    await memberClient.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
    const other = await atVerify(instance.slug, member.email);
    expect(errorCode(await other.post('/api/v1/auth/verify', { backupCode: codeOf(mail!) }))).toBe('invalid_credentials');
    const owner = await atVerify(instance.slug, admin.email);
    expect((await owner.post('/api/v1/auth/verify', { backupCode: codeOf(mail!) })).json()).toEqual({ next: 'done' });
  });

  it('counts wrong backup codes and wrong TOTP codes on one counter', async () => {
    const { instance, admin } = await enrolled();
    const [mail] = await codeMails(admin.email);
    for (let i = 0; i < 5; i += 1) {
      const client = await atVerify(instance.slug, admin.email);
      const payload =
        i % 2 === 0
          ? { backupCode: 'AAAA-BBBB-CCCC-DDDD' }
          : { code: '000000' === oathtool('JBSWY3DPEHPK3PXP', deps.clock.now()) ? '111111' : '000000' };
      expect(errorCode(await client.post('/api/v1/auth/verify', payload))).toBe('invalid_credentials');
    }
    const client = await atVerify(instance.slug, admin.email);
    expect(errorCode(await client.post('/api/v1/auth/verify', { backupCode: codeOf(mail!) }))).toBe('locked');
  });

  it('sends a new code on request from a freshly verified session; the old one stops working', async () => {
    const { instance, admin, client } = await enrolled();
    const [first] = await codeMails(admin.email);
    expect((await client.post('/api/v1/me/backup-code')).statusCode).toBe(204);
    const mails = await codeMails(admin.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toContain('new backup code');
    const c = await atVerify(instance.slug, admin.email);
    expect(errorCode(await c.post('/api/v1/auth/verify', { backupCode: codeOf(first!) }))).toBe('invalid_credentials');
    expect((await c.post('/api/v1/auth/verify', { backupCode: codeOf(mails[1]!) })).json()).toEqual({ next: 'done' });
  });

  it('asks a session that skipped the code for a current code before sending a new backup code', async () => {
    const { instance, admin, client, secret } = await enrolled();
    await client.login(instance.slug, admin.email, PASSWORD); // known location: no code
    deps.clock.advanceSeconds(601);
    expect(errorCode(await client.post('/api/v1/me/backup-code'))).toBe('step_up_required');
    expect(errorCode(await client.post('/api/v1/me/backup-code', { code: '12345' }))).toBe('invalid_credentials');
    expect((await client.post('/api/v1/me/backup-code', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
  });

  it('neither steps up nor turns 2FA off with the backup code, and sends no new one (SPEC rule 4)', async () => {
    const { instance, admin, client } = await enrolled();
    await client.login(instance.slug, admin.email, PASSWORD);
    const [first] = await codeMails(admin.email);
    expect(errorCode(await client.post('/api/v1/auth/step-up', { backupCode: codeOf(first!) }))).toBe('totp_required');
    const off = await client.request({
      method: 'PUT',
      url: '/api/v1/me/two-factor',
      payload: { enabled: false, currentPassword: PASSWORD, backupCode: codeOf(first!) },
    });
    expect(errorCode(off)).toBe('totp_required');
    expect(await codeMails(admin.email)).toHaveLength(1);
    expect(await database.db.selectFrom('backup_codes').select('user_id').where('user_id', '=', admin.id).execute()).toHaveLength(1);
  });

  it('keeps the code out of every column, every API answer and the request body schema', async () => {
    const { admin, client } = await enrolled();
    const [mail] = await codeMails(admin.email);
    const code = codeOf(mail!);
    const variants = [code, code.replace(/-/g, ''), code.toLowerCase(), code.replace(/-/g, '').toLowerCase()];
    const tables = [
      'users',
      'sessions',
      'totp_credentials',
      'backup_codes',
      'known_locations',
      'outbox',
      'throttles',
      'audit_events',
      'password_history',
      'account_tokens',
    ] as const;
    for (const table of tables) {
      const rows = await database.db.selectFrom(table).selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const v of variants) expect(dump, table).not.toContain(v);
    }
    for (const url of ['/api/v1/me', '/api/v1/me/known-locations', '/api/v1/me/activity']) {
      const body = (await client.get(url)).body;
      for (const v of variants) expect(body).not.toContain(v);
    }
    expect(errorCode(await client.post('/api/v1/auth/verify', { code: '123456', backupCode: code }))).toBe('invalid_request');
  });
});
