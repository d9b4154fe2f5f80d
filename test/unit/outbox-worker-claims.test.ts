import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createOutboxWorker } from '../../src/mail/outbox-worker.ts';
import type { OutboxMail, OutboxStore } from '../../src/domain/mail/outbox-store.ts';
import type { MailTransport } from '../../src/mail/transport.ts';
import { createSecretBox, parseKey } from '../../src/crypto/secret-box.ts';
import { TEST_SECRET_KEY } from '../support/deps.ts';
import { FakeClock } from '../support/clock.ts';

/** An outbox in memory that counts its claims; due mail is whatever is pending. */
function memoryOutbox() {
  const pending: OutboxMail[] = [];
  const sent: number[] = [];
  let nextId = 1;
  let claims = 0;
  const store: OutboxStore = {
    async enqueue() {},
    async enqueueMany() {},
    async claimDue(_now, _leaseUntil, limit) {
      claims += 1;
      return pending.splice(0, limit);
    },
    async markSent(id) {
      sent.push(id);
    },
    async markFailed() {},
    async stats() {
      return { pending: pending.length, oldestPendingAt: null, dead: 0 };
    },
  };
  const queue = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      const id = nextId++;
      pending.push({
        id,
        to: `u${id}@example.test`,
        subject: 's',
        text: 't',
        html: 'h',
        sealed: false,
        attempts: 1,
        createdAt: new Date(),
      });
    }
  };
  return { store, queue, sent, claims: () => claims };
}

function worker(store: OutboxStore, batchSize: number, send: MailTransport['send'] = async () => {}) {
  const transport: MailTransport = { kind: 'dev-mailbox', send, close() {} };
  const box = createSecretBox([parseKey(TEST_SECRET_KEY)]);
  return createOutboxWorker(store, transport, box, new FakeClock(new Date()), pino({ level: 'silent' }), { batchSize });
}

// Issue 16: each drain ended with a claim that found nothing; a batch shorter than the limit
// already held all that was due.
describe('the outbox worker’s claims', () => {
  it('sends a short batch with one claim', async () => {
    const outbox = memoryOutbox();
    outbox.queue(3);
    expect(await worker(outbox.store, 10).drain()).toBe(3);
    expect(outbox.sent).toEqual([1, 2, 3]);
    expect(outbox.claims()).toBe(1);
  });

  it('claims again after a full batch, until a short or empty one', async () => {
    const outbox = memoryOutbox();
    outbox.queue(12);
    expect(await worker(outbox.store, 5).drain()).toBe(12);
    expect(outbox.claims()).toBe(3);
    const exact = memoryOutbox();
    exact.queue(5);
    expect(await worker(exact.store, 5).drain()).toBe(5);
    expect(exact.claims()).toBe(2);
  });

  it('still sends mail queued while a short batch is being sent, when its wake arrives', async () => {
    const outbox = memoryOutbox();
    outbox.queue(1);
    const during: { drain?: Promise<number> } = {};
    const mail = worker(outbox.store, 10, async (id) => {
      if (id === 1) {
        outbox.queue(1);
        // What mailQueued() does after a login's transaction: ask for a drain (here at once).
        during.drain = mail.drain();
      }
    });
    expect(await mail.drain()).toBe(2);
    expect(during.drain).toBeDefined();
    expect(await during.drain!).toBe(2);
    expect(outbox.sent).toEqual([1, 2]);
  });
});
