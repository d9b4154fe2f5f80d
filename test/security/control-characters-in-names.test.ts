/**
 * Issue 10 item 21 (part): CR/LF in a name reached mail bodies, so a name could forge lines of
 * the mail (a fake "Backup code:" line, a fake header-looking line) sent to someone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { deliveredTo, testDeps } from '../support/deps.ts';
import { testApp } from '../support/app.ts';
import { sendReminders } from '../../src/domain/maintenance/clean-up.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { givenInstance, PASSWORD, uniqueSlug, type TestDeps } from '../support/deps.ts';
import { Client, useTestApp } from '../support/app.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { importUsers } from '../../src/domain/account/import-users.ts';
import { createInstance } from '../../src/domain/instance/create-instance.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';
import * as templates from '../../src/domain/mail/templates.ts';

const EVIL = 'Eve\r\nBcc: victim@evil.test\r\n\r\nBackup code: 999999\u2028Line\u0007';
const refusal = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (error: unknown) => (error instanceof DomainError ? { code: error.code, field: error.details.field } : error),
  );

describe.each(engines())('control characters in names on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  it('refuses a name with CR/LF or another control character wherever a name is set', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    for (const name of [EVIL, 'Eve\nSmith', 'Eve\tSmith', 'Eve\u0000', 'Eve\u2029Smith', 'Eve\u0085']) {
      const invited = await client.post('/api/v1/admin/users', { email: `eve-${uniqueSlug()}@example.test`, name, role: 'member' });
      expect([JSON.stringify(name), invited.statusCode, invited.json().error?.code, invited.json().error?.field]).toEqual([
        JSON.stringify(name),
        400,
        'invalid_request',
        'name',
      ]);
      expect(
        await refusal(
          createUser(deps, {
            instanceSlug: instance.slug,
            email: `eve-${uniqueSlug()}@example.test`,
            name,
            role: 'member',
            password: null,
          }),
        ),
      ).toEqual({ code: 'invalid_request', field: 'name' });
    }
    const report = await importUsers(deps, instance.slug, [
      { line: 7, email: `eve-${uniqueSlug()}@example.test`, name: EVIL, role: 'member', password: null },
    ]);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([[7, 'name']]);
    const slug = uniqueSlug();
    expect(
      await refusal(
        createInstance(deps, {
          slug,
          name: 'Acme\r\nBcc: x@evil.test',
          plan: 'professional',
          admin: { email: `a@${slug}.test`, name: 'Ada', password: PASSWORD },
        }),
      ),
    ).toEqual({
      code: 'invalid_request',
      field: 'instance.name',
    });
    expect(
      await refusal(
        createInstance(deps, {
          slug,
          name: 'Acme',
          plan: 'professional',
          admin: { email: `a@${slug}.test`, name: EVIL, password: PASSWORD },
        }),
      ),
    ).toEqual({
      code: 'invalid_request',
      field: 'admin.name',
    });
  });

  it('never puts a raw control character into a mail header or body line, whatever a stored name holds', () => {
    const at = new Date();
    const by = { kind: 'admin' as const, name: EVIL, email: 'a@example.test' };
    const mails = [
      templates.accountCreatedMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        instanceSlug: 'acme',
        loginUrl: 'http://127.0.0.1/login',
      }),
      templates.lockNoticeMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        factor: 'password',
        failures: 5,
        at,
        ip: null,
        permanent: false,
      }),
      templates.backupCodeMail({
        kind: 'used',
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        code: '123456',
        at,
        ip: null,
        device: EVIL,
        help: EVIL,
      }),
      templates.passwordChangedMail({ to: 'x@example.test', name: EVIL, instanceName: EVIL, at, ip: null }),
      templates.invitationMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        url: 'http://127.0.0.1/invite',
        days: 7,
        loginUrl: 'http://127.0.0.1/i/x/login',
      }),
      templates.passwordResetMail({ to: 'x@example.test', name: EVIL, instanceName: EVIL, url: 'http://127.0.0.1/reset' }),
      templates.passwordResetRefusedMail({ to: 'x@example.test', name: EVIL, instanceName: EVIL, help: EVIL }),
      templates.twoFactorRequestMail({ instanceName: EVIL, adminName: EVIL, loginUrl: 'http://127.0.0.1/login' }),
      templates.twoFactorOffMail({ to: 'x@example.test', name: EVIL, instanceName: EVIL, at, ip: null }),
      templates.twoFactorResetMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        at,
        ip: null,
        by,
        loginUrl: 'http://127.0.0.1/login',
        stillEnabled: true,
      }),
      templates.adminResetNoticeMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        at,
        ip: null,
        by,
        target: { name: EVIL, email: 't@example.test' },
        method: null,
      }),
      templates.adminRecoveryMail({
        to: 'x@example.test',
        name: EVIL,
        instanceName: EVIL,
        url: 'http://127.0.0.1/reset',
        adminName: EVIL,
        at,
        expiresAt: at,
      }),
    ];
    for (const mail of mails) {
      expect(mail.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
      expect(mail.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u);
      expect(mail.html).not.toMatch(/[\r\u0007\u2028]/u);
      const lines = mail.text.split('\n');
      expect(lines.filter((line) => line.startsWith('Bcc:'))).toEqual([]);
      expect(lines.filter((line) => line === 'Backup code: 999999')).toEqual([]);
    }
  });
});

// Reminders go to every instance's users: a database of its own.
describe.each(engines())('control characters in a stored instance name and the reminder mails on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await openIsolatedDatabase(engine);
    deps = await testDeps(database);
    app = await testApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('puts a stored name with CR/LF on one line in the setup reminder', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } });
    // A name stored before names were checked.
    await sql`update instances set name = ${EVIL} where id = ${instance.id}`.execute(database.db);
    deps.clock.advanceSeconds(8 * 86400);
    expect((await sendReminders(deps)).setup).toBe(1);
    const [mail] = (await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Set up two-factor'));
    expect(mail!.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    expect(mail!.text).not.toMatch(/[\r\u0007\u2028]/u);
    expect(mail!.text.split('\n').filter((line) => line.startsWith('Bcc:') || line === 'Backup code: 999999')).toEqual([]);
  });
});
