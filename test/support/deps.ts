/**
 * Real dependencies for tests: a real database, real argon2id, a fake clock, and the outbox
 * delivering into the dev mailbox store unless a test brings its own transport.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { openTestDatabase, type EngineName } from './db.ts';
import pino from 'pino';
import { createPasswordHasher, type PasswordHasher } from '../../src/crypto/password.ts';
import type { Deps } from '../../src/domain/shared/deps.ts';
import { createStores } from '../../src/storage/stores.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOutboxWorker, type OutboxWorker } from '../../src/mail/outbox-worker.ts';
import { devMailboxTransport, type MailTransport } from '../../src/mail/transport.ts';
import { createInstance } from '../../src/domain/instance/create-instance.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import type { Instance, Plan } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';
import { FakeClock } from './clock.ts';
import { processPasswordResetRequests } from '../../src/domain/account/password-links.ts';
import { loadPasswordBlocklist } from '../../src/password-blocklist.ts';
import { createSecretBox, parseKey } from '../../src/crypto/secret-box.ts';

export const PUBLIC_URL = 'http://127.0.0.1:3000';
export const ORIGIN = 'http://127.0.0.1:3000';
export const PASSWORD = 'correct horse battery staple';
export const TEST_SECRET_KEY = createHash('sha256').update('keyward test key').digest('hex');

let sharedHasher: Promise<PasswordHasher> | null = null;

export interface TestDeps extends Deps {
  clock: FakeClock;
  mail: OutboxWorker;
}

export async function testDeps(database: DatabaseHandle, transport?: MailTransport): Promise<TestDeps> {
  sharedHasher ??= createPasswordHasher(2);
  const stores = createStores(database.db, database.engine);
  const clock = new FakeClock(new Date());
  // One key for every test file: test files sharing a PostgreSQL database share its outbox, and
  // whichever file's worker claims a mail must be able to open it.
  const secretBox = createSecretBox([parseKey(TEST_SECRET_KEY)]);
  // As in runtime.ts: the worker also handles queued "forgot password" requests.
  const jobs = [() => processPasswordResetRequests(deps)];
  const mail = createOutboxWorker(
    stores.outbox,
    transport ?? devMailboxTransport(stores.devMailbox, clock),
    secretBox,
    clock,
    pino({ level: 'silent' }),
    { jobs },
  );
  const deps: TestDeps = {
    stores,
    hasher: await sharedHasher,
    clock,
    publicUrl: PUBLIC_URL,
    mailQueued: () => {},
    mail,
    secretBox,
    totpIssuer: 'keyward',
    blocklist: loadPasswordBlocklist().list,
  };
  return deps;
}

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

let passwordHash: Promise<string> | null = null;

/**
 * Deps for set-up: every account a test is given has PASSWORD, so its argon2id hash is computed
 * once per file (a real hash by the real hasher, salted once) and stored for each of them. Set-up
 * then spends no argon2 work the test does not test; every hash and verification the test drives
 * through the app or a use-case is still the real one.
 */
function setUpDeps(deps: Deps): Deps {
  const real = deps.hasher;
  const hash = (password: string) => (password === PASSWORD ? (passwordHash ??= real.hash(password)) : real.hash(password));
  return { ...deps, hasher: Object.assign(Object.create(real) as PasswordHasher, { hash }) };
}

/** A fresh instance with an admin whose password is PASSWORD. */
export async function givenInstance(deps: Deps, plan: Plan = 'professional'): Promise<{ instance: Instance; admin: User }> {
  const slug = uniqueSlug();
  return createInstance(setUpDeps(deps), {
    slug,
    name: `Instance ${slug}`,
    plan,
    admin: { email: `admin@${slug}.test`, name: 'Ada Admin', password: PASSWORD },
  });
}

export async function givenUser(
  deps: Deps,
  instance: Instance,
  email = `member-${randomBytes(3).toString('hex')}@example.test`,
): Promise<User> {
  return createUser(setUpDeps(deps), { instanceSlug: instance.slug, email, name: 'Max Member', role: 'member', password: PASSWORD });
}

/** Delivers what is due and returns the mail delivered to `to` (dev mailbox), oldest first. */
export async function deliveredTo(deps: TestDeps, to: string) {
  await deps.mail.drain();
  const all = await deps.stores.devMailbox.list(10_000);
  return all.filter((m) => m.to === to).reverse();
}

/**
 * Registers the usual hooks of a test file that needs a database and deps: one database for the
 * file (PGlite takes seconds to start), handed to `assign` once ready, closed after the last test.
 */
export function useTestDeps(
  engine: EngineName,
  assign: (context: { database: DatabaseHandle; deps: TestDeps }) => void,
  open: (engine: EngineName) => Promise<DatabaseHandle> = openTestDatabase,
): void {
  let database: DatabaseHandle | null = null;
  beforeAll(async () => {
    database = await open(engine);
    assign({ database, deps: await testDeps(database) });
  });
  afterAll(async () => {
    await database?.close();
  });
}
