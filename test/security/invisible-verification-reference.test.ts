import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';

const OPERATOR_PASSWORD = 'support staff passphrase 2026';

// Issue 10 item 16: a support reset's verification record is what makes it accountable after the
// fact (ADM-06); a reference of invisible characters records nothing while looking filled in.
// Visible characters are required (Unicode: what is left after removing \p{Cf}, \p{Cc}, \p{Z}),
// the stored text is NFC, and notes may be empty but never carry control characters.
describe.each(engines())('a support verification of invisible characters on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  async function operatorAndAdmin() {
    const operator = await createOperator(deps, {
      email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
      name: 'Olga Operator',
      password: OPERATOR_PASSWORD,
    });
    const client = new Client(app);
    await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    const { secret } = (await client.post('/api/v1/auth/setup')).json();
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    const { instance, admin } = await givenInstance(deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(adminClient, deps);
    const reset = (verification: object) =>
      client.post(`/api/v1/support/instances/${instance.slug}/users/${admin.id}/two-factor/reset`, { verification });
    return { admin, reset };
  }

  const totpRows = (userId: string) => database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', userId).execute();

  it.each([
    ['a zero-width space', '\u200b'],
    ['zero-width joiners and a BOM', '\u200d\u200c\ufeff'],
    ['a no-break and an ideographic space', '\u00a0\u3000'],
    ['control characters', '\u0007\u001b\u007f'],
    ['bidirectional marks', '\u202e\u2066\u200f'],
  ])('refuses a reference of only %s and changes nothing', async (_name, reference) => {
    const { admin, reset } = await operatorAndAdmin();
    const response = await reset({ method: 'video_call', reference });
    expect([response.statusCode, errorCode(response), response.json().error.field]).toEqual([
      400,
      'invalid_request',
      'verification.reference',
    ]);
    expect(await totpRows(admin.id)).toHaveLength(1);
  });

  it('refuses notes of only invisible characters where notes are required, and control characters in any notes', async () => {
    const { admin, reset } = await operatorAndAdmin();
    const other = await reset({ method: 'other', reference: 'TICKET-1', notes: '\u200b\u2060' });
    expect([other.statusCode, errorCode(other), other.json().error.field]).toEqual([400, 'invalid_request', 'verification.notes']);
    const control = await reset({ method: 'video_call', reference: 'TICKET-1', notes: 'Matched\u0007 the photo' });
    expect([control.statusCode, errorCode(control), control.json().error.field]).toEqual([400, 'invalid_request', 'verification.notes']);
    expect(await totpRows(admin.id)).toHaveLength(1);
  });

  it('accepts a visible reference with invisible padding, and stores it NFC without the padding', async () => {
    const { admin, reset } = await operatorAndAdmin();
    // "Zoë" with a combining diaeresis (NFD), wrapped in zero-width spaces; notes with line breaks are fine.
    const response = await reset({
      method: 'video_call',
      reference: '\u200bZoe\u0308-42\u200b',
      notes: 'Called back.\nMatched the photo.',
    });
    expect(response.statusCode).toBe(204);
    const event = await database.db
      .selectFrom('audit_events')
      .select('details')
      .where('target_id', '=', admin.id)
      .where('action', '=', 'two_factor.reset')
      .executeTakeFirstOrThrow();
    expect((event.details as { verification: unknown }).verification).toEqual({
      method: 'video_call',
      reference: 'Zo\u00eb-42',
      notes: 'Called back.\nMatched the photo.',
    });
  });
});
