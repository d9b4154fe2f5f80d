/** The per-request shortcuts of issue 16 answer as the long way did. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { unstorableField } from '../../src/http/plugins/text-guard.ts';
import { turnBufferedStdout } from '../../src/http/log.ts';
import { clientIp, clientUserAgent } from '../../src/http/client-address.ts';

describe('the text guard', () => {
  it('finds unstorable text in values, keys, arrays and nesting, with its path', () => {
    expect(unstorableField({ a: 'ok', b: ['ok', { c: 'x\u0000' }] })).toBe('b[1].c');
    expect(unstorableField({ ['k\u0000']: 'v' })).toBe('body');
    expect(unstorableField({ nested: { ['\ud800']: 1 } })).toBe('nested');
    expect(unstorableField(['ok', '\udc00'])).toBe('[1]');
    expect(unstorableField('\ud83d\ude00 fine')).toBeNull();
    expect(unstorableField('\u0000')).toBe('body');
    expect(unstorableField({ a: 1, b: null, c: [true, 2, 'fine'], d: { e: 'ü' } })).toBeNull();
    expect(unstorableField(undefined)).toBeNull();
    const bare = Object.assign(Object.create(null) as object, { q: 'a\u0000' });
    expect(unstorableField(bare, '')).toBe('q');
  });
});

describe('the log destination', () => {
  it('writes the lines of one turn together, in order, and within that turn', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kw-log-')), 'log');
    const fd = fs.openSync(file, 'w');
    const destination = turnBufferedStdout(fd);
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    destination.write('{"n":3}\n');
    destination.flush();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    // A turn with more than its buffer holds writes at once.
    destination.write(`${'x'.repeat(9000)}\n`);
    expect(fs.readFileSync(file, 'utf8').length).toBe(24 + 9001);
    fs.closeSync(fd);
  });
});

describe('the client address', () => {
  const request = (ip: string, userAgent?: string) =>
    ({ ip, socket: { remoteAddress: ip }, headers: userAgent === undefined ? {} : { 'user-agent': userAgent } }) as unknown as FastifyRequest;

  it('is read once per request, and each request has its own', () => {
    const a = request('::ffff:10.0.0.1', 'Zo\u00c3\u00ab');
    const b = request('10.0.0.2');
    expect(clientUserAgent(a)).toBe('Zoë');
    expect(clientIp(a)).toBe('10.0.0.1');
    expect(clientIp(b)).toBe('10.0.0.2');
    expect(clientUserAgent(b)).toBeNull();
    // Later readings answer the same, even if the object is changed afterwards.
    (a as unknown as { ip: string }).ip = '10.9.9.9';
    expect([clientIp(a), clientUserAgent(a)]).toEqual(['10.0.0.1', 'Zoë']);
  });
});
