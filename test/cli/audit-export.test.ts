import { describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { runOperation } from '../../src/cli/operations.ts';
import { addSeconds } from '../../src/domain/shared/clock.ts';
import { SYSTEM_ACTOR, type NewAuditEvent } from '../../src/domain/audit/audit-event.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sendToServer, startControlSocket } from '../../src/cli/control-socket.ts';

// Issue 15: `keyward audit export SLUG` as the CLI runs it (operations-as-data), on each engine.
describe.each(engines())('the audit export on %s', (engine) => {
  let deps: TestDeps;
  let database: DatabaseHandle;
  useTestDeps(engine, (t) => ({ deps, database } = t));

  const start = new Date('2026-01-10T00:00:00Z');

  /** An instance with the event givenInstance wrote (now) and `count` more, one a day from `start`. */
  async function instanceWithEvents(count: number) {
    const { instance } = await givenInstance(deps);
    const events: NewAuditEvent[] = Array.from({ length: count }, (_, i) => ({
      instanceId: instance.id,
      at: addSeconds(start, i * 86400),
      action: 'login.failed',
      actor: SYSTEM_ACTOR,
      target: { id: `u${i}`, label: `User ${i}` },
      ip: '203.0.113.7',
      userAgent: 'Firefox\n"quoted"',
      details: { i },
    }));
    await deps.stores.audit.record(events);
    return instance;
  }

  /** Runs the export and returns its result, each write (a page) and the parsed lines. */
  async function exportOf(input: { instanceSlug: string; since?: string; until?: string; pageSize?: number }) {
    const writes: string[] = [];
    const result = await runOperation(deps, { op: 'audit.export', input }, undefined, async (text) => {
      writes.push(text);
    });
    const text = writes.join('');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter((line) => line !== '');
    return { result, writes, events: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  it('writes every event of the instance as one JSON object a line, oldest first, in pages, with the API’s fields', async () => {
    const instance = await instanceWithEvents(7);
    const { result, writes, events } = await exportOf({ instanceSlug: instance.slug, pageSize: 3 });
    expect(result).toEqual({ instance: instance.slug, exported: 8 });
    expect(writes.map((page) => page.split('\n').length - 1)).toEqual([3, 3, 2]);
    // In the order written (by id): givenInstance's event first, then the seven.
    expect(events.map((e) => e.details)).toEqual([expect.any(Object), ...[0, 1, 2, 3, 4, 5, 6].map((i) => ({ i }))]);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((e) => Number(e.id)).sort((a, b) => a - b));
    expect(Object.keys(events[0]!)).toEqual(['id', 'instanceId', 'at', 'action', 'actor', 'target', 'ip', 'userAgent', 'details']);
    expect(events[1]).toMatchObject({
      instanceId: instance.id,
      at: '2026-01-10T00:00:00.000Z',
      action: 'login.failed',
      actor: { type: 'system', id: null, label: 'keyward' },
      target: { id: 'u0', label: 'User 0' },
      ip: '203.0.113.7',
      userAgent: 'Firefox\n"quoted"',
    });
  });

  it('keeps to --since (inclusive) and --until (exclusive), and to its own instance', async () => {
    const instance = await instanceWithEvents(7);
    await instanceWithEvents(7); // another instance's events, at the same times
    const { events } = await exportOf({
      instanceSlug: instance.slug,
      since: '2026-01-12T00:00:00Z',
      until: '2026-01-15T00:00:00+00:00',
      pageSize: 2,
    });
    expect(events.map((e) => e.details)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }]);
    expect(new Set(events.map((e) => e.instanceId))).toEqual(new Set([instance.id]));
  });

  it('exports an exactly full last page without an empty write, and an empty range as nothing', async () => {
    const instance = await instanceWithEvents(5);
    const full = await exportOf({ instanceSlug: instance.slug, pageSize: 3 });
    expect(full.writes).toHaveLength(2);
    expect(full.events).toHaveLength(6);
    const none = await exportOf({ instanceSlug: instance.slug, until: '2025-01-01T00:00:00Z' });
    expect(none).toMatchObject({ result: { exported: 0 }, writes: [] });
  });

  it('refuses an unknown instance (not_found) and a bad or empty range (invalid_request)', async () => {
    const instance = await instanceWithEvents(1);
    const codeOf = (input: { instanceSlug: string; since?: string; until?: string }) =>
      exportOf(input).then(
        () => null,
        (error: unknown) => (error instanceof DomainError ? [error.code, error.details.field] : error),
      );
    expect(await codeOf({ instanceSlug: 'no-such-instance' })).toEqual(['not_found', 'instance']);
    expect(await codeOf({ instanceSlug: instance.slug, since: 'yesterday' })).toEqual(['invalid_request', 'since']);
    expect(await codeOf({ instanceSlug: instance.slug, until: '2026-01-01' })).toEqual(['invalid_request', 'until']);
    expect(await codeOf({ instanceSlug: instance.slug, since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })).toEqual([
      'invalid_request',
      'until',
    ]);
  });

  it('streams the export page by page through the control socket of a server that holds the database', async () => {
    const instance = await instanceWithEvents(7);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-audit-socket-'));
    const stop = await startControlSocket(dataDir, deps, database, pino({ level: 'silent' }));
    try {
      const chunks: string[] = [];
      const result = await sendToServer(
        dataDir,
        { op: 'audit.export', input: { instanceSlug: instance.slug, since: '2026-01-11T00:00:00Z', pageSize: 2 } },
        () => {},
        async (text) => {
          chunks.push(text);
        },
      );
      expect(result).toEqual({ instance: instance.slug, exported: 7 });
      expect(chunks.length).toBeGreaterThan(1);
      const events = chunks
        .join('')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { details: { i?: number } });
      expect(events.slice(1).map((e) => e.details.i)).toEqual([1, 2, 3, 4, 5, 6]); // after givenInstance's event (by id)
      const missing = sendToServer(
        dataDir,
        { op: 'audit.export', input: { instanceSlug: 'no-such-instance' } },
        () => {},
        async () => {},
      );
      await expect(missing).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
