/**
 * `keyward user import` measured the way an operator runs it (issue 16): the compiled CLI
 * (`node dist/cli/main.js user import SLUG file.csv`, as bin/keyward.mjs starts it) as a child
 * process with only its own environment, on a CSV written here, on PostgreSQL (a database of its
 * own, dropped afterwards whatever fails) and on PGlite (a data dir of its own). Reported:
 *
 *   - users/s without passwords (each gets an invitation: a token and a mail), target ≥ 5,000/s;
 *   - users/s with passwords (each gets an account mail) ÷ the argon2id rate measured in this run
 *     (hashes per second with keyward's parameters at one per core, before and after the import,
 *     the better of the two), target ≥ 0.8;
 *   - the rerun of the file without passwords (creates nothing, sends nothing);
 *   - the progress lines the CLI printed on stderr (not a TTY here: cli-progress's noTTYOutput).
 *
 * The time is the whole command's, start-up and migrations check included, as the operator waits;
 * "net" takes off the time of the same command on a file with the header only (its fixed cost:
 * Node, the database opened and closed), which matters at a small BENCH_IMPORT_HASHED.
 * No SMTP_URL and KEYWARD_DEV_MAILBOX=0: the queued mail stays in the outbox for the server's
 * worker. (With a transport, the CLI delivers what it queued before it exits, one mail at a time:
 * for 100,000 invitations that is the delivery's time, not the import's, and is not measured here.)
 *
 *   npx tsx bench/import.ts [--engine postgres|pglite]
 *   BENCH_IMPORT_USERS=N  users without passwords (default 100000)
 *   BENCH_IMPORT_HASHED=N users with passwords (default BENCH_IMPORT_USERS; 100,000 hashes take
 *                         about 10 minutes on 2 cores, so a smaller N is allowed and printed)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import { TEST_SECRET_KEY } from '../test/support/deps.ts';
import { keyward, type CliRun as KeywardRun } from '../test/support/cli.ts';
import { benchEngines, benchMachineLine, freshPostgresDatabase } from '../test/support/db.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { engine: { type: 'string' } } });
const USERS = Number(process.env.BENCH_IMPORT_USERS ?? 100_000);
const HASHED = Number(process.env.BENCH_IMPORT_HASHED ?? USERS);
const SLUG = 'bench-import';

/** A run of the command and its time. */
interface CliRun extends KeywardRun {
  seconds: number;
}

/** The `keyward` command (test/support/cli.ts: bin/keyward.mjs with `env` only), timed from spawn to exit. */
async function cli(cliArgs: string[], env: Record<string, string>, stdin = ''): Promise<CliRun> {
  const started = performance.now();
  const run = await keyward(cliArgs, env, stdin);
  return { ...run, seconds: (performance.now() - started) / 1000 };
}

function expectOk(run: CliRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}:\n${run.stderr.slice(-2000)}`);
}

/** argon2id hashes per second with keyward's parameters at one per core (the hasher's gate), in this process. */
async function hashRate(count = 8 * os.availableParallelism()): Promise<number> {
  const gate = new Semaphore(os.availableParallelism());
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => gate.run(() => hash(`rate password ${i}`, ARGON2_OPTIONS))));
  return count / ((performance.now() - started) / 1000);
}

function writeCsv(file: string, prefix: string, count: number, withPasswords: boolean): void {
  const lines = [withPasswords ? 'email,name,role,password' : 'email,name,role'];
  for (let i = 0; i < count; i += 1) {
    const user = `${prefix}-${i}@${SLUG}.test,${prefix} user ${i},member`;
    // A random password each (20 base64url characters): none is on the blocklist or like the account.
    lines.push(withPasswords ? `${user},${randomBytes(15).toString('base64url')}` : user);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

interface ImportFigures {
  users: number;
  seconds: number;
  progressLines: number;
  created: number;
}

async function importFile(env: Record<string, string>, file: string, expectCreated: number): Promise<ImportFigures> {
  const run = await cli(['user', 'import', SLUG, file], env);
  expectOk(run, `user import ${path.basename(file)}`);
  if (expectCreated < 0) return { users: 0, seconds: run.seconds, progressLines: 0, created: 0 };
  const report = JSON.parse(run.stdout) as { created: number; skipped: number; errors: unknown[] };
  if (report.created !== expectCreated || report.errors.length > 0) throw new Error(`unexpected report: ${run.stdout.slice(0, 500)}`);
  const progressLines = run.stderr.split(/[\r\n]/).filter((line) => /^Importing \[.*\] \d+\/\d+ lines/.test(line)).length;
  if (progressLines === 0) throw new Error(`no progress line on stderr:\n${run.stderr.slice(0, 1000)}`);
  const users = report.created + report.skipped;
  return { users, seconds: run.seconds, progressLines, created: report.created };
}

async function benchEngine(engine: 'postgres' | 'pglite', postgresUrl: string | null) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-bench-import-'));
  let dropDatabase = async () => {};
  try {
    const env: Record<string, string> = {
      KEYWARD_DATA_DIR: path.join(dir, 'data'),
      KEYWARD_SECRET_KEY: TEST_SECRET_KEY,
      KEYWARD_DEV_MAILBOX: '0',
    };
    if (engine === 'postgres') {
      const fresh = await freshPostgresDatabase('keyward_bench_import', postgresUrl!);
      dropDatabase = () => fresh.drop();
      env.DATABASE_URL = fresh.url;
    }
    const created = await cli(
      ['instance', 'create', SLUG, '--name', 'Bench Import', '--plan', 'business', '--admin-email', `admin@${SLUG}.test`],
      env,
      'bench administrator password\n',
    );
    expectOk(created, 'instance create');
    const invited = path.join(dir, 'invited.csv');
    const hashed = path.join(dir, 'hashed.csv');
    writeCsv(invited, 'invited', USERS, false);
    writeCsv(hashed, 'hashed', HASHED, true);
    const empty = path.join(dir, 'empty.csv');
    writeCsv(empty, 'none', 0, false);
    // Twice, the faster counting: the first open of a new PGlite data dir is slower than the later ones.
    const fixed = Math.min((await importFile(env, empty, -1)).seconds, (await importFile(env, empty, -1)).seconds);
    const plain = await importFile(env, invited, USERS);
    const rerun = await importFile(env, invited, 0);
    const before = await hashRate();
    const withPasswords = await importFile(env, hashed, HASHED);
    const after = await hashRate();
    return { engine, fixed, plain, rerun, withPasswords, hashRate: Math.max(before, after), hashRates: [before, after] };
  } finally {
    await dropDatabase();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const perSecond = (f: ImportFigures, fixedSeconds = 0) => f.users / (f.seconds - fixedSeconds);

execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'server', '--if-stale'], { stdio: 'inherit' });
const { postgresUrl, engines } = await benchEngines(args.engine);
console.log(
  benchMachineLine(`; ${USERS} users without passwords, ${HASHED} with passwords${HASHED < USERS ? ' (BENCH_IMPORT_HASHED)' : ''}`),
);
console.log(
  '| engine | command start-up | without passwords | rerun (nothing created) | with passwords | argon2id rate (before, after) | with passwords ÷ argon2id rate (net) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const engine of engines) {
  const r = await benchEngine(engine, postgresUrl);
  const cell = (f: ImportFigures) =>
    `${perSecond(f).toFixed(0)}/s, net ${perSecond(f, r.fixed).toFixed(0)}/s (${f.users} in ${f.seconds.toFixed(1)} s, ${f.progressLines} progress lines)`;
  const ratio = (fixedSeconds: number) => (perSecond(r.withPasswords, fixedSeconds) / r.hashRate).toFixed(2);
  console.log(
    `| ${r.engine} | ${r.fixed.toFixed(1)} s | ${cell(r.plain)} | ${cell(r.rerun)} | ${cell(r.withPasswords)} | ${r.hashRate.toFixed(1)}/s (${r.hashRates.map((x) => x.toFixed(1)).join(', ')}) | ${ratio(0)} (${ratio(r.fixed)}) |`,
  );
}
