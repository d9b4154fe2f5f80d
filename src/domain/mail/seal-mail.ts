import type { SecretBox } from '../../crypto/secret-box.ts';
import { OUTBOX_ASSOCIATED_DATA, type MailMessage, type SealedMail } from './mail.ts';

export function sealMail(box: SecretBox, message: MailMessage): SealedMail {
  return {
    to: message.to,
    subject: message.subject,
    sealedText: box.seal(Buffer.from(message.text, 'utf8'), OUTBOX_ASSOCIATED_DATA),
    sealedHtml: box.seal(Buffer.from(message.html, 'utf8'), OUTBOX_ASSOCIATED_DATA),
  };
}
