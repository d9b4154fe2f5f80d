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

export function smtpTransport(smtpUrl: string, from: string, messageIdDomain: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
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
