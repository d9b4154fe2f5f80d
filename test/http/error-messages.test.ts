import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { lockedMessage } from '../../src/domain/throttle/check-throttle.ts';
import { validationSentence } from '../../src/http/validation-message.ts';

// Issue 13, words and messages: no schema text reaches people; a lock says what it stops.
describe('error messages for people', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t));

  it('answers a schema refusal with the code, the field and a sentence, never the schema text', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const long = await client.get(`/api/v1/admin/users?q=${'x'.repeat(300)}`);
    expect(errorCode(long)).toBe('invalid_request');
    expect(long.json().error.field).toBe('q');
    expect(long.json().error.message).toBe('The search is too long: use at most 254 characters.');
    const missing = await new Client(app).post('/api/v1/auth/login', { instance: instance.slug, email: admin.email });
    expect(missing.json().error).toMatchObject({ code: 'invalid_request', field: 'password', message: 'The password is missing.' });
    for (const answer of [long, missing]) expect(answer.json().error.message).not.toMatch(/must|NOT|Invalid/);
  });

  it('words every refusal keyword as a sentence', () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['maxLength', 'email', { limit: 254 }],
      ['minLength', 'name', { limit: 1 }],
      ['minLength', 'newPassword', { limit: 12 }],
      ['maximum', 'limit', { limit: 100 }],
      ['minimum', 'limit', { limit: 1 }],
      ['enum', 'role', { allowedValues: ['admin', 'member'] }],
      ['type', 'enabled', { type: 'boolean' }],
      ['additionalProperties', 'body', { additionalProperty: 'isAdmin' }],
      ['pattern', 'slug', { pattern: '^[a-z]+$' }],
      ['required', 'body', { missingProperty: 'code' }],
      ['maxItems', 'redirectUris', { limit: 20 }],
      ['const', 'x', {}],
    ];
    for (const [keyword, field, params] of cases) {
      const sentence = validationSentence(field, { keyword, params });
      expect(sentence, keyword).toMatch(/^The .*\.$/);
      expect(sentence, keyword).not.toMatch(/must|NOT|\{|\}|undefined|NaN/);
    }
  });

  it('says what a lock stops: the password login, a login code, or a confirmation', () => {
    expect(lockedMessage('password', 900)).toBe(
      'Too many wrong passwords: logging in to this account is locked for now. Try again in 15 minutes.',
    );
    expect(lockedMessage('code', 60)).toContain('entering a code for this account is locked');
    expect(lockedMessage('code', 30)).toContain('Try again in 1 minute.');
    expect(lockedMessage('step_up', 4 * 3600)).toContain('confirming changes with a code is locked for now. Try again in about 4 hours.');
  });
});
