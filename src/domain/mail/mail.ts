export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML mail bodies: names and instance names are user input. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
