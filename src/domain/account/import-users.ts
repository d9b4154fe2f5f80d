import { randomId } from '../../crypto/random.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import type { Instance } from '../instance/instance.ts';
import type { NewUser } from './user-store.ts';
import { accountCreatedMail, loginUrl } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { getInstanceBySlug } from './find-instance.ts';
import { sendInvitationsToNewUsers } from './password-links.ts';
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

type ParsedUser = Omit<NewUser, 'passwordHash' | 'passwordChangedAt'>;
type Rules = { minLength: number; blocklist: PasswordBlocklist; context: string[] };

/**
 * Imports users batch by batch. Idempotent: a user whose email already exists is skipped, so a
 * rerun after an interruption creates only the missing users. A bad line is reported and the good
 * lines still go in. `onProgress` is called after each batch with the rows done so far.
 *
 * Why a pipeline: hashing is nearly all of an import with passwords, so the passwords of batch N+1
 * are hashed while batch N is written, and each batch's writes are a few statements (users,
 * tokens, mails), not several per user (issue 16: 36 users/s against 82 hashes/s before).
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
  let written: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < rows.length; start += IMPORT_BATCH_SIZE) {
      const batch = rows.slice(start, start + IMPORT_BATCH_SIZE);
      const users = await prepareBatch(deps, instance, batch, seen, report);
      await written;
      const done = Math.min(rows.length, start + batch.length);
      written = writeBatch(deps, instance, users, report).then(() => onProgress(done));
      // Awaited at the next batch or below; this only keeps a failure from being "unhandled" meanwhile.
      written.catch(() => {});
    }
  } catch (error) {
    await written.catch(() => {});
    throw error;
  }
  await written;
  if (report.created > 0) deps.mailQueued();
  return report;
}

/** The batch's new users, checked, without the emails that exist already, with their passwords hashed. */
async function prepareBatch(
  deps: Deps,
  instance: Instance,
  batch: ImportRow[],
  seen: Set<string>,
  report: ImportReport,
): Promise<NewUser[]> {
  const rules = {
    minLength: minPasswordLength(instance.policy, NEW_ACCOUNT, deps.clock.now()),
    blocklist: deps.blocklist,
    context: [instance.slug, instance.name],
  };
  const valid = parseBatch(batch, seen, report, rules);
  const tenant = deps.stores.forInstance(instance.id);
  const existing = new Set((await tenant.users.findExistingEmails(valid.map((v) => v.user.email))).map(emailKey));
  const fresh = valid.filter((v) => !existing.has(emailKey(v.user.email)));
  report.skipped += valid.length - fresh.length;
  // Why only for new users: hashing is the expensive part, and reruns must stay cheap.
  const hashes = await hashAll(
    deps.hasher,
    fresh.map((v) => v.row.password),
  );
  const now = deps.clock.now();
  return fresh.map(({ user }, i) => ({ ...user, passwordHash: hashes[i]!, passwordChangedAt: hashes[i] ? now : null }));
}

function parseBatch(batch: ImportRow[], seen: Set<string>, report: ImportReport, rules: Rules) {
  const valid: Array<{ row: ImportRow; user: ParsedUser }> = [];
  for (const row of batch) {
    const parsed = parseRow(row, report, rules);
    if (!parsed) continue;
    const key = emailKey(parsed.email);
    if (seen.has(key)) {
      report.errors.push({ line: row.line, field: 'email', message: `Duplicate of an earlier line (${parsed.email}).` });
      continue;
    }
    seen.add(key);
    valid.push({ row, user: parsed });
  }
  return valid;
}

/**
 * The passwords' hashes (null for none), several at once through the hasher's gate. Why a window
 * of its concurrency + 1 and not the whole batch at once: every core hashes (one hash waits ready
 * for the first free core), yet a login's verification, which queues at the same gate when the
 * import runs inside the server (the embedded database, control socket), waits behind at most one
 * of the import's hashes instead of the whole batch.
 */
async function hashAll(hasher: PasswordHasher, passwords: Array<string | null>): Promise<Array<string | null>> {
  const hashes: Array<string | null> = passwords.map(() => null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < passwords.length; i = next++) {
      const password = passwords[i];
      if (password !== null && password !== undefined) hashes[i] = await hasher.hash(password);
    }
  };
  await Promise.all(Array.from({ length: hasher.concurrency + 1 }, worker));
  return hashes;
}

/**
 * The batch's users, their invitations (no password) or account mails (a password) in one
 * transaction: a rerun that skips them sends none again. A user another import inserted meanwhile
 * is skipped here too (insertMissing returns only the emails it inserted).
 */
async function writeBatch(deps: Deps, instance: Instance, users: NewUser[], report: ImportReport): Promise<void> {
  if (users.length === 0) return;
  const inserted = await deps.stores.transaction(async (stores) => {
    const emails = new Set(await stores.forInstance(instance.id).users.insertMissing(users));
    const created = users.filter((u) => emails.has(u.email));
    // Issue 13: a link to choose a password and the instance's login address.
    await sendInvitationsToNewUsers(
      { ...deps, stores, mailQueued: () => {} },
      instance,
      created.filter((u) => u.passwordHash === null),
    );
    const mails = created.filter((u) => u.passwordHash !== null).map((user) => accountCreated(deps, instance, user));
    await stores.outbox.enqueueMany(instance.id, mails, deps.clock.now());
    return created.length;
  });
  report.created += inserted;
  report.skipped += users.length - inserted;
}

function accountCreated(deps: Deps, instance: Instance, user: NewUser) {
  const mail = accountCreatedMail({
    to: user.email,
    name: user.name,
    instanceName: instance.name,
    instanceSlug: instance.slug,
    loginUrl: loginUrl(deps.publicUrl, instance.slug),
  });
  return sealMail(deps.secretBox, mail);
}

function parseRow(row: ImportRow, report: ImportReport, rules: Rules): ParsedUser | null {
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
