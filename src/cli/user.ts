import fs from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import cliProgress from 'cli-progress';
import type { ImportReport, ImportRow } from '../domain/account/import-users.ts';
import { execute } from './context.ts';
import { CliError, printJson, readPassword } from './io.ts';
import { MAX_PAGE_SIZE } from '../domain/admin/list-users.ts';
import type { TwoFactorStatus } from '../domain/account/describe-me.ts';

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage the users of an instance');
  user
    .command('create')
    .description('create a user (password from stdin), or with --invite a user who is emailed an invitation to choose one')
    .argument('<slug>', 'the instance slug')
    .argument('<email>', "the user's email")
    .option('--name <name>', "the user's name")
    .option('--role <role>', 'admin or member', 'member')
    .option('--invite', 'no password: email an invitation with a link to choose one and the login address')
    .action(async (slug: string, email: string, options: { name?: string; role: string; invite?: boolean }) => {
      const password = options.invite ? null : await readPassword(`Password for ${email}: `);
      const created = await execute({
        op: 'user.create',
        input: { instanceSlug: slug, email, role: options.role, password, ...(options.name ? { name: options.name } : {}) },
      });
      printJson(created);
    });

  user
    .command('list')
    .description('list the users of an instance as JSON, one page at a time (as GET /api/v1/admin/users)')
    .argument('<slug>', 'the instance slug')
    .option('--search <text>', 'a word anywhere in the name or email')
    .option('--two-factor <status>', 'active, pending or off')
    .option('--limit <n>', 'users per page (1-100)', '50')
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(async (slug: string, options: { search?: string; twoFactor?: string; limit: string; cursor?: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
        throw new CliError(`--limit: use a number from 1 to ${MAX_PAGE_SIZE}.`);
      if (options.twoFactor && !['active', 'pending', 'off'].includes(options.twoFactor))
        throw new CliError('--two-factor: use active, pending or off.');
      const query = {
        limit,
        ...(options.search ? { q: options.search } : {}),
        ...(options.twoFactor ? { twoFactor: options.twoFactor as TwoFactorStatus } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      };
      printJson(await execute({ op: 'user.list', input: { instanceSlug: slug, query } }));
    });

  for (const [command, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    user
      .command(command)
      .description(
        status === 'disabled'
          ? 'disable a user: their sessions end at once, they are emailed, audited (never the last active administrator)'
          : 'enable a disabled user again (they are emailed; audited)',
      )
      .argument('<slug>', 'the instance slug')
      .argument('<email>', "the user's email")
      .action(async (slug: string, email: string) => {
        printJson(await execute({ op: 'user.set-status', input: { instanceSlug: slug, email, status } }));
      });
  }

  user
    .command('import')
    .description('import users from a CSV file with the header email,name,role[,password]; safe to run again')
    .argument('<slug>', 'the instance slug')
    .argument('<file>', 'the CSV file')
    .action(async (slug: string, file: string) => {
      const rows = readCsv(file);
      const bar = new cliProgress.SingleBar(
        { format: 'Importing [{bar}] {value}/{total} lines', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 1000 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(rows.length, 0);
      const report = (await execute({ op: 'user.import', input: { instanceSlug: slug, rows } }, (done) => bar.update(done)).finally(() =>
        bar.stop(),
      )) as ImportReport;
      for (const error of report.errors) process.stderr.write(`line ${error.line}: ${error.field}: ${error.message}\n`);
      process.stderr.write(`${report.created} created, ${report.skipped} already existed, ${report.errors.length} line(s) with errors\n`);
      printJson(report);
      if (report.errors.length > 0) process.exitCode = 2;
    });
}

const COLUMNS = ['email', 'name', 'role', 'password'];

function readCsv(file: string): ImportRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as never;
  } catch (error) {
    throw new CliError(`${file} is not valid CSV: ${(error as Error).message}`);
  }
  const header = records.shift()?.record.map((h) => h.toLowerCase());
  if (
    !header ||
    header[0] !== 'email' ||
    header[1] !== 'name' ||
    header[2] !== 'role' ||
    (header[3] && header[3] !== 'password') ||
    header.length > 4
  ) {
    throw new CliError(`${file}: the first line must be the header ${COLUMNS.slice(0, 3).join(',')}[,password]`);
  }
  return records.map(({ record, info }) => ({
    line: info.lines,
    email: record[0] ?? '',
    name: record[1] ?? '',
    role: record[2] ?? '',
    password: header.length === 4 && record[3] ? record[3] : null,
  }));
}
