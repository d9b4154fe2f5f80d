import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, ORIGIN, PASSWORD, type TestDeps } from '../support/deps.ts';
import { errorCode, useTestApp } from '../support/app.ts';
import { engines } from '../support/db.ts';
import { unstorableField } from '../../src/http/plugins/text-guard.ts';

const DEPTH = 5000;

describe('the text guard on deep values', () => {
  it('walks 100,000 levels without recursion and still names the unstorable field', () => {
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(unstorableField({ ok: 'fine', deep })).toBe(`deep${'[0]'.repeat(100_000)}`);
    expect(unstorableField({ a: 'x', b: { c: ['y', 'z\u0000'] } })).toBe('b.c[1]');
  });
});

// Issue 10 item 12: a 5,000-deep JSON body reached the recursive text guard before any schema and
// came back as a 500 with a stack trace. Bad input gets a 400 and nothing else (OWASP ASVS 5.0
// V1.5 safe deserialisation, V16.5 no internals in errors; checklist's "never a 500 for bad input").
describe.each(engines())('deeply nested JSON (%s)', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const post = (url: string, payload: string) =>
    app.inject({ method: 'POST', url, headers: { origin: ORIGIN, 'content-type': 'application/json' }, payload });

  const bodies = {
    arrays: `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`,
    objects: `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`,
    'in a field': `{"instance":"x","email":"a@b.test","password":${'['.repeat(DEPTH)}"p"${']'.repeat(DEPTH)}}`,
    'strings with brackets inside, then deep': `["[[[{{{\\"", ${'{"b":['.repeat(DEPTH / 2)}${']}'.repeat(DEPTH / 2)}]`,
  };

  for (const [name, body] of Object.entries(bodies)) {
    it(`refuses ${DEPTH}-deep ${name} with 400 invalid_request and no stack, on routes with and without a body schema`, async () => {
      for (const url of ['/api/v1/auth/login', '/api/v1/auth/logout']) {
        const response = await post(url, body);
        expect(response.statusCode, url).toBe(400);
        expect(errorCode(response)).toBe('invalid_request');
        expect(Object.keys(response.json())).toEqual(['error']);
        expect(response.body).not.toMatch(/at |RangeError|stack/);
      }
    });
  }

  it('refuses one level beyond the bound and accepts the bound itself', async () => {
    const nested = (depth: number) =>
      `{"instance":"x","email":"a@b.test","password":"p","extra":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    const beyond = await post('/api/v1/auth/logout', nested(33));
    expect(beyond.statusCode).toBe(400);
    expect(errorCode(beyond)).toBe('invalid_request');
    expect((await post('/api/v1/auth/logout', nested(32))).statusCode).toBe(204);
  });

  it('still logs in with an ordinary body, with or without a charset', async () => {
    const { instance, admin } = await givenInstance(deps);
    const body = JSON.stringify({ instance: instance.slug, email: admin.email, password: PASSWORD });
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { origin: ORIGIN, 'content-type': type },
        payload: body,
      });
      expect(response.statusCode, type).toBe(200);
      expect(response.json()).toEqual({ next: 'done' });
    }
  });

  it('keeps refusing prototype poisoning, empty and broken bodies with 400, and other content types with 415', async () => {
    for (const body of [
      '{"__proto__":{"admin":true}}',
      '{"a":{"constructor":{"prototype":{"admin":true}}}}',
      '',
      '{"a":',
      '[1,]',
      '{"a":1}x',
      '\u0000',
    ]) {
      const response = await post('/api/v1/auth/logout', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorCode(response)).toBe('invalid_request');
    }
    expect((await post('/api/v1/auth/logout', '\uFEFF{"a":1}')).statusCode).toBe(204);
    // A key or value that merely mentions them is data.
    expect((await post('/api/v1/auth/logout', '{"note":"__proto__","constructor":"x","prototype":{}}')).statusCode).toBe(204);
    const text = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { origin: ORIGIN, 'content-type': 'text/plain' },
      payload: '{}',
    });
    expect(text.statusCode).toBe(415);
    expect(errorCode(text)).toBe('unsupported_media_type');
  });
});
