export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * A mail ready for the outbox: the bodies sealed (AES-256-GCM), since a queued mail may carry a
 * backup code. Only the outbox worker opens them, right before sending.
 */
export interface SealedMail {
  to: string;
  subject: string;
  sealedText: string;
  sealedHtml: string;
}

export const OUTBOX_ASSOCIATED_DATA = 'outbox';

/** Escapes text for HTML mail bodies: names and instance names are user input. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
