/** The backup file of the embedded database (`keyward backup`), written by the CLI or by the running server that holds the database. */
import fs from 'node:fs';
import type { DatabaseHandle } from '../storage/connect.ts';
import { CliError } from './io.ts';

/** What the CLI hands a running server over the control socket: it holds the embedded database. */
export interface BackupOperation {
  op: 'database.backup';
  /** An absolute path. */
  input: { output: string };
}

export interface BackupResult {
  output: string;
  bytes: number;
}

/**
 * Writes the database's tarball to `output`: aside first, then renamed, so a backup cut short
 * never looks complete; 0600, since it holds password hashes and sealed secrets.
 */
export async function writeBackup(database: DatabaseHandle, output: string): Promise<BackupResult> {
  if (!database.dumpDataDir) throw new CliError('With DATABASE_URL, back up with pg_dump -Fc (docs/operations.md).');
  const tarball = Buffer.from(await (await database.dumpDataDir()).arrayBuffer());
  const aside = `${output}.partial-${process.pid}`;
  try {
    fs.writeFileSync(aside, tarball, { mode: 0o600 });
    fs.renameSync(aside, output);
  } finally {
    fs.rmSync(aside, { force: true });
  }
  return { output, bytes: tarball.length };
}
