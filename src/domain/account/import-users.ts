import { randomId } from '../../crypto/random.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import type { Instance } from '../instance/instance.ts';
import type { NewUser } from './user-store.ts';
import { accountCreatedMail, loginUrl } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { getInstanceBySlug } from './find-instance.ts';
import { newInvitation, queueInvitationsOfNewUsers, type PreparedInvitation } from './password-links.ts';
import type { SealedMail } from '../mail/mail.ts';
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

export const IMPORT_BATCH_SIZE = 500;

type ParsedUser = Omit<NewUser, 'passwordHash' | 'passwordChangedAt'>;
type Rules = { minLength: number; blocklist: PasswordBlocklist; context: string[] };

/** A batch ready to write: its users, and for each the mail it gets (an invitation, or the account mail). */
interface PreparedBatch {
  users: NewUser[];
  invitations: Map<string, PreparedInvitation>;
  accountMails: Map<string, SealedMail>;
}

/** What the batches learn as they go: whether the file's users may exist already (a rerun). */
interface ImportState {
  seen: Set<string>;
  existingFound: boolean;
  /** Users created by this import after which the planner's statistics are refreshed next. */
  statisticsAt: number;
}

/**
 * After how many created users the import refreshes the planner's statistics next: after its
 * first batch, then each time it has created ten times as many (500, 5,000, 50,000, …).
 *
 * Why (issue 16: an import of 100,000 users into a new instance ran at 1,000 users/s and slowed
 * as it went, the database's CPU in `_bt_checkkeys` and `texteq`): the foreign-key check of each
 * new account token (`… where instance_id = $1 and id = $2 for key share`) is planned once per
 * connection and its plan kept (PostgreSQL's plan cache, for the triggers of RI checks too). Made
 * while the users table was empty, every index starting with `instance_id` cost the same, and the
 * planner took the Users list's `(instance_id, lower(name), id)`: each check then read every user
 * of the instance, so the import took time quadratic in its size. Statistics that show the rows
 * make the planner take the unique `(instance_id, id)`; fresh statistics invalidate the cached
 * plans of every connection. Autovacuum would do it in the end, but only once a minute at most,
 * when it is on; the embedded engine has none.
 */
export function nextStatisticsRefresh(created: number): number {
  return Math.max(IMPORT_BATCH_SIZE, created * 10);
}

/**
 * Batches being written at once, each in its own transaction (so on its own connection of a
 * PostgreSQL pool; PGlite's one connection takes them in turn). Why two (issue 16): a batch's
 * INSERT of users is most of its time (the trigram index: about 0.1 ms per user), on one
 * backend, so one writer used one of the database's cores. The next batch's INSERT now runs
 * meanwhile; it waits only at its end, for the user counters' lock (migration 0033) that the
 * batch before holds until it commits, so the commits stay in batch order.
 */
export const IMPORT_WRITERS = 2;

/**
 * Imports users batch by batch. Idempotent: a user whose email already exists is skipped, so a
 * rerun after an interruption creates only the missing users. A bad line is reported and the good
 * lines still go in. `onProgress` is called after each batch with the rows done so far, in order.
 *
 * Why a pipeline (issue 16: 36 users/s against 82 hashes/s, one core hashing): batch N+1 is
 * checked, hashed and its mail sealed while batch N is written, passwords are hashed at the
 * hasher's concurrency, each batch is written with a few statements (users, tokens, mails),
 * never several per user, and IMPORT_WRITERS batches are written at once.
 */
export async function importUsers(
  deps: Deps,
  instanceSlug: string,
  rows: ImportRow[],
  onProgress: (done: number) => void = () => {},
): Promise<ImportReport> {
  const instance = await getInstanceBySlug(deps, instanceSlug);
  const report: ImportReport = { created: 0, skipped: 0, errors: [] };
  const state: ImportState = { seen: new Set(), existingFound: false, statisticsAt: nextStatisticsRefresh(0) };
  /** The batches being written, oldest first. */
  const writing: Array<Promise<void>> = [];
  /** The first write that failed: no batch starts after it. */
  const failure: { failed: boolean; error?: unknown } = { failed: false };
  /** onProgress of each batch once it and every batch before it are written (in order; none after a failure). */
  let progress: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < rows.length; start += IMPORT_BATCH_SIZE) {
      // Why a turn of the event loop per batch: PGlite answers within microtasks, so an import
      // without passwords never reached the timers, and the CLI's progress bar (drawn by one)
      // stood still: no line between 2.5 s and 21.6 s of an 8,000-user import.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = rows.slice(start, start + IMPORT_BATCH_SIZE);
      const prepared = await prepareBatch(deps, instance, batch, state, report);
      if (writing.length >= IMPORT_WRITERS) await writing.shift();
      if (failure.failed) throw failure.error;
      const done = Math.min(rows.length, start + batch.length);
      const write = writeBatch(deps, instance, prepared, state, report);
      write.catch((error: unknown) => {
        if (!failure.failed) Object.assign(failure, { failed: true, error });
      });
      writing.push(write);
      progress = Promise.all([progress, write]).then(() => onProgress(done));
      // Awaited below; this only keeps a failure from being "unhandled" meanwhile.
      progress.catch(() => {});
    }
  } catch (error) {
    // Why wait for the other batch: a failed import must not return while one of its
    // transactions still runs (the CLI would close the database under it).
    await Promise.allSettled(writing);
    await progress.catch(() => {});
    // The batches written before the failure are committed, with their mail.
    if (report.created > 0) deps.mailQueued();
    throw error;
  }
  const settled = await Promise.allSettled(writing);
  await progress.catch(() => {});
  if (report.created > 0) deps.mailQueued();
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return report;
}

async function prepareBatch(
  deps: Deps,
  instance: Instance,
  batch: ImportRow[],
  state: ImportState,
  report: ImportReport,
): Promise<PreparedBatch> {
  const rules = {
    minLength: minPasswordLength(instance.policy, NEW_ACCOUNT, deps.clock.now()),
    blocklist: deps.blocklist,
    context: [instance.slug, instance.name],
  };
  const fresh = await withoutExisting(deps, instance, parseBatch(batch, state.seen, report, rules), state, report);
  // Why only for new users: hashing is the expensive part, and reruns must stay cheap.
  const hashes = await hashAll(
    deps.hasher,
    fresh.map((v) => v.row.password),
  );
  const now = deps.clock.now();
  const users = fresh.map(({ user }, i): NewUser => ({ ...user, passwordHash: hashes[i]!, passwordChangedAt: hashes[i] ? now : null }));
  const prepared: PreparedBatch = { users, invitations: new Map(), accountMails: new Map() };
  for (const user of users) {
    if (user.passwordHash === null) prepared.invitations.set(user.email, newInvitation(deps, instance, user));
    else prepared.accountMails.set(user.email, accountCreated(deps, instance, user));
  }
  return prepared;
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
 * The rows whose email is not taken, as far as a lookup can tell (the insert decides). Looked up:
 * rows with a password, always, since hashing one costs far more than the lookup; rows without,
 * once a batch found users that existed (a rerun). Why not always: the lookup was a fifth of the
 * database's time per user of a first import without passwords, where nothing exists yet, and
 * insertMissing skips existing emails by itself.
 */
async function withoutExisting<T extends { row: ImportRow; user: ParsedUser }>(
  deps: Deps,
  instance: Instance,
  valid: T[],
  state: ImportState,
  report: ImportReport,
): Promise<T[]> {
  const lookedUp = valid.filter((v) => v.row.password !== null || state.existingFound).map((v) => v.user.email);
  if (lookedUp.length === 0) return valid;
  const existing = new Set((await deps.stores.forInstance(instance.id).users.findExistingEmails(lookedUp)).map(emailKey));
  if (existing.size > 0) state.existingFound = true;
  report.skipped += existing.size;
  return valid.filter((v) => !existing.has(emailKey(v.user.email)));
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
 * The batch's users with their invitations (no password) or account mails (a password), in one
 * transaction: a rerun that skips them sends none again. A user that exists by now (a rerun, or
 * another import meanwhile) is skipped and gets no mail: insertMissing returns only the emails it
 * inserted.
 */
async function writeBatch(deps: Deps, instance: Instance, batch: PreparedBatch, state: ImportState, report: ImportReport): Promise<void> {
  if (batch.users.length === 0) return;
  const inserted = await deps.stores.transaction(async (stores) => {
    const emails = await stores.forInstance(instance.id).users.insertMissing(batch.users);
    const invitations = emails.map((email) => batch.invitations.get(email)).filter((i) => i !== undefined);
    const mails = emails.map((email) => batch.accountMails.get(email)).filter((m) => m !== undefined);
    // Issue 13: a link to choose a password and the instance's login address.
    await queueInvitationsOfNewUsers({ ...deps, stores }, instance, invitations);
    await stores.outbox.enqueueMany(instance.id, mails, deps.clock.now());
    return emails.length;
  });
  if (inserted < batch.users.length) state.existingFound = true;
  report.created += inserted;
  report.skipped += batch.users.length - inserted;
  if (report.created >= state.statisticsAt) {
    // Moved on first: the other batch being written may pass the mark meanwhile, and needs no second refresh.
    state.statisticsAt = nextStatisticsRefresh(report.created);
    // Best effort: the batch is committed, and a refresh that failed (a statement timeout, the
    // database away a moment) leaves the planner only where autovacuum would; the import goes on.
    await deps.stores.housekeeping.refreshUserStatistics().catch(() => {});
  }
}

function accountCreated(deps: Deps, instance: Instance, user: NewUser): SealedMail {
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
