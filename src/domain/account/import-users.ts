import { randomId } from '../../crypto/random.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { NewUser } from './user-store.ts';
import { accountCreatedMail, loginUrl } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { getInstanceBySlug } from './find-instance.ts';
import { sendInvitation } from './password-links.ts';
import { checkPasswordForAccount, minPasswordLength, NEW_ACCOUNT, type PasswordBlocklist } from './password-rules.ts';
import { emailKey, parseEmail, parsePersonName, parseRole } from './user.ts';

export interface ImportRow {
  /** 1-based line number in the source file, for error messages. */
  line: number;
  email: string;
  name: string;
  role: string;
  password: string | null;
}

export interface ImportReport {
  created: number;
  skipped: number;
  errors: Array<{ line: number; field: string; message: string }>;
}

export const IMPORT_BATCH_SIZE = 200;

/**
 * Imports users batch by batch. Idempotent: a user whose email already exists is skipped, so a
 * rerun after an interruption creates only the missing users. A bad line is reported and the good
 * lines still go in. `onProgress` is called after each batch with the rows done so far.
 */
export async function importUsers(
  deps: Deps,
  instanceSlug: string,
  rows: ImportRow[],
  onProgress: (done: number) => void = () => {},
): Promise<ImportReport> {
  const instance = await getInstanceBySlug(deps, instanceSlug);
  const report: ImportReport = { created: 0, skipped: 0, errors: [] };
  const seen = new Set<string>();
  for (let start = 0; start < rows.length; start += IMPORT_BATCH_SIZE) {
    const batch = rows.slice(start, start + IMPORT_BATCH_SIZE);
    const valid: Array<{ row: ImportRow; user: Omit<NewUser, 'passwordHash' | 'passwordChangedAt'> }> = [];
    for (const row of batch) {
      const parsed = parseRow(row, report, {
        minLength: minPasswordLength(instance.policy, NEW_ACCOUNT, deps.clock.now()),
        blocklist: deps.blocklist,
        context: [instance.slug, instance.name],
      });
      if (!parsed) continue;
      const key = emailKey(parsed.email);
      if (seen.has(key)) {
        report.errors.push({ line: row.line, field: 'email', message: `Duplicate of an earlier line (${parsed.email}).` });
        continue;
      }
      seen.add(key);
      valid.push({ row, user: parsed });
    }
    const tenant = deps.stores.forInstance(instance.id);
    const existing = new Set((await tenant.users.findExistingEmails(valid.map((v) => v.user.email))).map(emailKey));
    const fresh = valid.filter((v) => !existing.has(emailKey(v.user.email)));
    report.skipped += valid.length - fresh.length;
    const users: NewUser[] = [];
    for (const { row, user } of fresh) {
      // Why only for new users: hashing is the expensive part, and reruns must stay cheap.
      const passwordHash = row.password === null ? null : await deps.hasher.hash(row.password);
      users.push({ ...user, passwordHash, passwordChangedAt: passwordHash ? deps.clock.now() : null });
    }
    const inserted = await deps.stores.transaction(async (stores) => {
      const emails = await stores.forInstance(instance.id).users.insertMissing(users);
      // Users without a password get their invitation (issue 13: a link to choose one and the
      // instance's login address), queued with the rows, so a rerun that skips them sends none again.
      for (const user of users.filter((u) => u.passwordHash === null && emails.includes(u.email))) {
        await sendInvitation({ ...deps, stores }, instance, user);
      }
      for (const user of users.filter((u) => u.passwordHash !== null && emails.includes(u.email))) {
        const mail = accountCreatedMail({
          to: user.email,
          name: user.name,
          instanceName: instance.name,
          instanceSlug: instance.slug,
          loginUrl: loginUrl(deps.publicUrl, instance.slug),
        });
        await stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), deps.clock.now());
      }
      return emails.length;
    });
    report.created += inserted;
    report.skipped += users.length - inserted;
    onProgress(Math.min(rows.length, start + batch.length));
  }
  if (report.created > 0) deps.mailQueued();
  return report;
}

function parseRow(
  row: ImportRow,
  report: ImportReport,
  rules: { minLength: number; blocklist: PasswordBlocklist; context: string[] },
): Omit<NewUser, 'passwordHash' | 'passwordChangedAt'> | null {
  try {
    const email = parseEmail(row.email);
    const name = parsePersonName(row.name || email.split('@')[0]!);
    const role = parseRole(row.role || 'member');
    if (row.password !== null)
      row.password = checkPasswordForAccount(row.password, { ...rules, context: [...rules.context, email, name] }, 'password');
    return { id: randomId(), email, name, role };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    report.errors.push({ line: row.line, field: error.details.field ?? 'line', message: error.message });
    return null;
  }
}
