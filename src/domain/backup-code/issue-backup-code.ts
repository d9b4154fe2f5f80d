import { formatBackupCode, newBackupCode } from '../../crypto/backup-code.ts';
import type { Deps } from '../shared/deps.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { helpFor } from '../support/support-contact.ts';
import { backupCodeMail, type BackupCodeMailKind } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import type { SealedMail } from '../mail/mail.ts';
import { deviceLabel } from '../known-location/known-location.ts';

export interface NewBackupCode {
  /** What is stored: a keyed MAC, never the code (BC-04). */
  mac: string;
  /** The mail carrying the code, to be queued in the same statement or transaction that stores the MAC. */
  mail: SealedMail;
}

/** A fresh code and its mail; the code itself leaves this function only inside the sealed mail. */
export function issueBackupCode(
  deps: Deps,
  user: User,
  instance: Instance,
  kind: BackupCodeMailKind,
  client: { ip: string | null; userAgent: string | null },
): NewBackupCode {
  const code = newBackupCode();
  const message = backupCodeMail({
    kind,
    to: user.email,
    name: user.name,
    instanceName: instance.name,
    code: formatBackupCode(code),
    at: deps.clock.now(),
    ip: client.ip,
    device: client.userAgent ? deviceLabel(client.userAgent) : null,
    help: helpFor(user.role, deps.supportContact),
  });
  return { mac: deps.secretBox.mac(code), mail: sealMail(deps.secretBox, message) };
}
