/**
 * Where mail goes: an SMTP server through nodemailer, or, without SMTP_URL, the dev mailbox
 * table that the dev mailbox page reads.
 */
import nodemailer from 'nodemailer';
import type { MailMessage } from '../domain/mail/mail.ts';
import type { DevMailboxStore } from '../domain/mail/outbox-store.ts';
import type { Clock } from '../domain/shared/clock.ts';

export interface MailTransport {
  /** `none`: no SMTP_URL and no dev mailbox; every send fails and the mail waits in the outbox. */
  readonly kind: 'smtp' | 'dev-mailbox' | 'none';
  /** Resolves when the peer accepted the message; `outboxId` makes redelivery recognisable. */
  send(outboxId: number, message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * Why pooled (nodemailer's SMTPPool; SMTP_URL's `?pool=false` turns it off): without it every mail
 * opened a connection of its own, with its greeting, EHLO and, on a submission port, a TLS
 * handshake, and closed it after one message. Sending 300 mails one after another to a loopback
 * smtp-server (3 December 2026, the 2-core development machine) cost 4.8 ms of CPU and 106 ms per
 * mail that way, 6.2 ms with STARTTLS, against 2.8 and 2.9 ms of CPU and 3.4 ms per mail over one
 * kept connection; a login from a new location sends one (docs/performance.md). The pool opens a
 * new connection when the server has closed the kept one (test/flows/mail-delivery.test.ts); a
 * send that fails anyway (the connection lost in the middle of a message) is retried by the
 * outbox after its back-off, with the same Message-ID. The worker's stop() closes the pool.
 */
export function smtpTransport(smtpUrl: string, from: string, messageIdDomain: string): MailTransport {
  // The URL's own parameters win over these (nodemailer's createTransport merges them so).
  const transporter = nodemailer.createTransport({ url: smtpUrl, pool: true });
  return {
    kind: 'smtp',
    async send(outboxId, message) {
      await transporter.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // Why a stable Message-ID: if a crash repeats a send, receiving servers can drop the copy.
        messageId: `<outbox-${outboxId}@${messageIdDomain}>`,
      });
    },
    close: () => transporter.close(),
  };
}

/** No SMTP and no dev mailbox: every send fails, so mail stays queued (with retries) until SMTP_URL is set. */
export function unconfiguredTransport(): MailTransport {
  return {
    kind: 'none',
    send: async () => {
      throw new Error('SMTP_URL is not set: mail waits in the outbox');
    },
    close: () => {},
  };
}

export function devMailboxTransport(store: DevMailboxStore, clock: Clock): MailTransport {
  return {
    kind: 'dev-mailbox',
    send: (outboxId, message) => store.deliver(outboxId, message, clock.now()),
    close: () => {},
  };
}
