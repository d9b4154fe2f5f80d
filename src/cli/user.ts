import fs from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import cliProgress from 'cli-progress';
import type { ImportReport, ImportRow } from '../domain/account/import-users.ts';
import { execute } from './context.ts';
import { CliError, printJson, readPassword } from './io.ts';

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage the users of an instance');
  user
    .command('create')
    .description('create a user (password from stdin)')
    .argument('<slug>', 'the instance slug')
    .argument('<email>', "the user's email")
    .option('--name <name>', "the user's name")
    .option('--role <role>', 'admin or member', 'member')
    .action(async (slug: string, email: string, options: { name?: string; role: string }) => {
      const password = await readPassword(`Password for ${email}: `);
      const created = await execute({
        op: 'user.create',
        input: { instanceSlug: slug, email, role: options.role, password, ...(options.name ? { name: options.name } : {}) },
      });
      printJson(created);
    });

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
