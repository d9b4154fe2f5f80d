/**
 * Issue 10 item 19: emails were not Unicode-normalised (`zoë` composed and decomposed made two
 * look-alike accounts), and addresses that mail servers parse differently (`x<redirect@evil.test>`,
 * quoted parts, comments, spaces, display names) were accepted as logins and mail recipients.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, uniqueSlug, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { importUsers } from '../../src/domain/account/import-users.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';
import { up as normaliseEmails } from '../../src/storage/migrations/0012-email-normalisation.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

const composed = (slug: string) => `zo\u00eb@${slug}.test`;
const decomposed = (slug: string) => `zoe\u0308@${slug}.test`;
const refusal = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (error: unknown) => (error instanceof DomainError ? { code: error.code, field: error.details.field } : error),
  );

const BAD = [
  'x<redirect@evil.test>',
  'Zoe <zoe@example.test>',
  '"zoe smith"@example.test',
  '"zoe"@example.test',
  'zoe(comment)@example.test',
  'zoe@(comment)example.test',
  'zoe smith@example.test',
  'zoe@exa mple.test',
  'zoe..smith@example.test',
  '.zoe@example.test',
  'zoe.@example.test',
  'zoe@example..test',
  'zoe@-example.test',
  'zoe@example',
  'zoe@[127.0.0.1]',
  'zoe@example.test,evil@evil.test',
  'zoe\r\n@example.test',
];

describe.each(engines())('look-alike and ambiguous email addresses on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  it('treats the two spellings of zoë as one account: no second account, and either logs in', async () => {
    const { instance, admin } = await givenInstance(deps);
    await createUser(deps, { instanceSlug: instance.slug, email: composed(instance.slug), role: 'member', password: PASSWORD });
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    expect(
      errorCode(await client.post('/api/v1/admin/users', { email: decomposed(instance.slug), name: 'Zoe Twin', role: 'member' })),
    ).toBe('conflict');
    expect((await new Client(app).login(instance.slug, decomposed(instance.slug), PASSWORD)).json()).toEqual({ next: 'done' });
    const other = await givenInstance(deps);
    await createUser(deps, {
      instanceSlug: other.instance.slug,
      email: decomposed(other.instance.slug),
      role: 'member',
      password: PASSWORD,
    });
    const stored = await database.db
      .selectFrom('users')
      .select('email')
      .where('instance_id', '=', other.instance.id)
      .where('role', '=', 'member')
      .executeTakeFirstOrThrow();
    expect(stored.email).toBe(composed(other.instance.slug));
    const report = await importUsers(deps, other.instance.slug, [
      { line: 2, email: composed(other.instance.slug), name: 'Zoe', role: 'member', password: null },
    ]);
    expect(report).toMatchObject({ created: 0, skipped: 1 });
  });

  it('refuses every address that is not a plain local@domain, naming the field, on every way in', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    for (const email of BAD) {
      const invited = await client.post('/api/v1/admin/users', { email, name: 'Bad Address', role: 'member' });
      expect([email, invited.statusCode, invited.json().error?.code, invited.json().error?.field]).toEqual([
        email,
        400,
        'invalid_request',
        'email',
      ]);
      expect([email, await refusal(createUser(deps, { instanceSlug: instance.slug, email, role: 'member', password: null }))]).toEqual([
        email,
        { code: 'invalid_request', field: 'email' },
      ]);
      expect([email, await refusal(createOperator(deps, { email, name: 'Op', password: PASSWORD }))]).toEqual([
        email,
        { code: 'invalid_request', field: 'email' },
      ]);
    }
    const report = await importUsers(
      deps,
      instance.slug,
      BAD.map((email, i) => ({ line: i + 2, email, name: 'Bad', role: 'member', password: null })),
    );
    expect(report.created).toBe(0);
    expect(report.errors.map((e) => [e.line, e.field])).toEqual(BAD.map((_, i) => [i + 2, 'email']));
    expect(await database.db.selectFrom('users').select('id').where('instance_id', '=', instance.id).execute()).toHaveLength(1);
  });

  it('still accepts ordinary and international addresses', async () => {
    const { instance } = await givenInstance(deps);
    for (const email of [
      `o'brien+tag@${instance.slug}.test`,
      `first.last@mail.${instance.slug}.test`,
      `josé@${instance.slug}.test`,
      `a_b-c@sub-domain.${instance.slug}.test`,
    ]) {
      expect((await createUser(deps, { instanceSlug: instance.slug, email, role: 'member', password: null })).email).toBe(email);
    }
  });

  it('normalises stored emails to NFC in a migration, leaving a row alone when its normal form is taken', async () => {
    const { instance } = await givenInstance(deps);
    const slug = uniqueSlug('n');
    const insert = (id: string, email: string) =>
      sql`insert into users (id, instance_id, email, email_key, name, role, status) values (${id}, ${instance.id}, ${email}, ${email.toLowerCase()}, 'Old', 'member', 'active')`.execute(
        database.db,
      );
    await insert(`${slug}-1`, `ZOE\u0308@${slug}.test`);
    await insert(`${slug}-2`, `zo\u00eb.two@${slug}.test`);
    await insert(`${slug}-3`, `zoe\u0308.two@${slug}.test`);
    await normaliseEmails(database.db);
    const rows = await database.db
      .selectFrom('users')
      .select(['id', 'email', 'email_key'])
      .where('id', 'like', `${slug}-%`)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: `${slug}-1`, email: `ZO\u00cb@${slug}.test`, email_key: `zo\u00eb@${slug}.test` },
      { id: `${slug}-2`, email: `zo\u00eb.two@${slug}.test`, email_key: `zo\u00eb.two@${slug}.test` },
      { id: `${slug}-3`, email: `zoe\u0308.two@${slug}.test`, email_key: `zoe\u0308.two@${slug}.test` },
    ]);
  });
});
