/**
 * `keyward backup` and `keyward restore`: an online backup of the embedded database
 * (docs/operations.md "Backup and restore"). With DATABASE_URL they refuse: PostgreSQL is backed up
 * with pg_dump. Neither touches the secret key: a backup alone must not open the TOTP secrets it
 * holds (runtime.ts, loadSecretBox), so the key is kept apart from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { DataDirLockedError, openDatabase, restorePgliteDataDir, type DatabaseHandle } from '../storage/connect.ts';
import { controlSocketPath, sendToServer } from './control-socket.ts';
import { CliError, printJson } from './io.ts';
import { writeBackup, type BackupResult } from './backup-file.ts';

function embeddedDataDir(command: string): string {
  const config = loadConfig();
  if (config.databaseUrl)
    throw new CliError(
      `keyward ${command} is for the embedded database; with DATABASE_URL use pg_dump and pg_restore (docs/operations.md).`,
    );
  return config.dataDir;
}

async function backup(output: string): Promise<BackupResult> {
  const dataDir = embeddedDataDir('backup');
  // Why: opening a data dir without a database would make an empty one (initdb) and back that up.
  if (!fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'))) throw new CliError(`No embedded database in ${dataDir}.`);
  let database: DatabaseHandle;
  try {
    database = await openDatabase({ kind: 'pglite', dataDir });
  } catch (error) {
    // Why through the server: PGlite is single-process, and a second opener would corrupt it.
    if (error instanceof DataDirLockedError && fs.existsSync(controlSocketPath(dataDir)))
      return (await sendToServer(dataDir, { op: 'database.backup', input: { output } }, () => {})) as BackupResult;
    throw error;
  }
  try {
    return await writeBackup(database, output);
  } finally {
    await database.close();
  }
}

async function restore(input: string): Promise<{ restored: string; from: string }> {
  const dataDir = embeddedDataDir('restore');
  const tarball = new Blob([fs.readFileSync(input)]);
  await restorePgliteDataDir(dataDir, tarball);
  return { restored: dataDir, from: input };
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      'write the embedded database (KEYWARD_DATA_DIR) to a file while the server runs (through it) or not; not the secret key, which is kept apart',
    )
    .requiredOption('--output <file>', 'the backup file to write (a gzipped tarball)')
    .action(async (options: { output: string }) => printJson(await backup(path.resolve(options.output))));
  program
    .command('restore')
    .description('make the embedded database of an empty KEYWARD_DATA_DIR from a `keyward backup` file (the server stopped)')
    .requiredOption('--input <file>', 'the backup file')
    .action(async (options: { input: string }) => printJson(await restore(path.resolve(options.input))));
}
