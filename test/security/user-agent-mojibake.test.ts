import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, ORIGIN, PASSWORD, uniqueSlug, type TestDeps } from '../support/deps.ts';
import { useTestApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

/** A header as Node's HTTP parser hands it over: every byte one character (latin1). */
const onTheWire = (bytes: Buffer) => bytes.toString('latin1');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// Issue 10 item 21: Node decodes header bytes as latin1, so a UTF-8 user agent ("Zoë's phone")
// was stored and shown as mojibake ("ZoÃ«"), and in sessions, known locations and the audit log
// the device was unrecognisable (OWASP ASVS 5.0 V16.2: log metadata accurate; V1.2: encode safely).
describe.each(engines())('non-ASCII user agents (%s)', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  async function storedUserAgent(userAgent: string): Promise<{ session: string | null; audit: string | null }> {
    const { instance, admin } = await givenInstance(deps);
    const headers = { origin: ORIGIN, 'user-agent': userAgent };
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers,
      payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const id = cookie.split('=')[1]!.split('.')[0]!;
    const invite = await app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: { ...headers, cookie },
      payload: { email: `new@${uniqueSlug()}.test`, name: 'New Person', role: 'member' },
    });
    expect(invite.statusCode).toBe(201);
    const session = await database.db.selectFrom('sessions').select('user_agent').where('id', '=', id).executeTakeFirstOrThrow();
    const event = await database.db
      .selectFrom('audit_events')
      .select('user_agent')
      .where('instance_id', '=', instance.id)
      .where('action', '=', 'user.invited')
      .executeTakeFirstOrThrow();
    return { session: session.user_agent, audit: event.user_agent };
  }

  it('stores a UTF-8 user agent as the text the browser sent, in the session and in the audit log', async () => {
    const agent = 'Mozilla/5.0 (Zoë’s phone; 日本語) Fancy/1.0 😀';
    expect(await storedUserAgent(onTheWire(Buffer.from(agent, 'utf8')))).toEqual({ session: agent, audit: agent });
    expect(await storedUserAgent('curl/8.5.0')).toEqual({ session: 'curl/8.5.0', audit: 'curl/8.5.0' });
  });

  it('keeps bytes that are not UTF-8 as replacement characters, never as mojibake or broken text', async () => {
    const stored = await storedUserAgent(onTheWire(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xf0, 0x9f, 0x98, 0x20, 0x78])));
    expect(stored).toEqual({ session: 'caf\ufffd \ufffd x', audit: 'caf\ufffd \ufffd x' });
  });

  it('bounds the length without splitting a character', async () => {
    for (const unit of ['é', '😀', 'a']) {
      const stored = await storedUserAgent(onTheWire(Buffer.from(`x${unit.repeat(3000)}`, 'utf8')));
      for (const value of [stored.session!, stored.audit!]) {
        expect(value.length).toBeLessThanOrEqual(512);
        expect(value.length).toBeGreaterThan(500);
        expect(value).toMatch(new RegExp(`^x(${unit})+$`, 'u'));
        expect(LONE_SURROGATE.test(value)).toBe(false);
      }
    }
  });
});
