import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, ORIGIN, PASSWORD, type TestDeps } from '../support/deps.ts';
import { errorCode, useTestApp } from '../support/app.ts';
import { engines } from '../support/db.ts';

// Issue 10 item 21: with duplicate keys "the last wins", so a proxy, a WAF or a log that reads
// the first value sees another request than keyward acts on (OWASP ASVS 5.0 V1.5: parse
// unambiguously; RFC 8259 §4: names "SHOULD be unique"). Refused at any depth, naming the field.
describe.each(engines())('duplicate JSON keys (%s)', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const post = (url: string, payload: string) =>
    app.inject({ method: 'POST', url, headers: { origin: ORIGIN, 'content-type': 'application/json' }, payload });

  it('refuses a login whose password appears twice, naming the field, and starts no session', async () => {
    const { instance, admin } = await givenInstance(deps);
    const response = await post(
      '/api/v1/auth/login',
      `{"instance":"${instance.slug}","email":"${admin.email}","password":"wrong password here","password":"${PASSWORD}"}`,
    );
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('invalid_request');
    expect(response.json().error.field).toBe('password');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses duplicates at any depth and in any spelling of the key, naming the path', async () => {
    const cases: Array<[string, string]> = [
      ['{"verification":{"method":"a","reference":"r","method":"b"}}', 'verification.method'],
      ['{"list":[{"x":1},{"y":1,"y":2}]}', 'list[1].y'],
      ['{"email":"a","\\u0065mail":"b"}', 'email'],
      ['{"a":{"b":{"c":[[{"d":1,"d":1}]]}}}', 'a.b.c[0][0].d'],
    ];
    for (const [body, field] of cases) {
      const response = await post('/api/v1/auth/logout', body);
      expect(response.statusCode, body).toBe(400);
      expect(errorCode(response)).toBe('invalid_request');
      expect(response.json().error.field).toBe(field);
    }
  });

  it('accepts the same key in different objects and a key equal to a value', async () => {
    for (const body of ['{"a":{"x":1},"b":{"x":1}}', '[{"x":1},{"x":2}]', '{"x":"x","y":{"x":"y"}}', '{"a\\"b":1,"a\\\\b":2}']) {
      expect((await post('/api/v1/auth/logout', body)).statusCode, body).toBe(204);
    }
  });
});
