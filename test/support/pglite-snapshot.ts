/**
 * One migrated PGlite data dir for every test file: global setup builds it once (or finds the one
 * an earlier run left), and each file's database loads it instead of running initdb and every
 * migration (seconds per file on two busy cores). The file name carries a hash of the migrations,
 * of the code that lists and runs them and of PGlite's version, so a new or changed migration, or
 * another PGlite, builds a new snapshot rather than reusing a stale one.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migratedPgliteSnapshot, openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = path.join(os.tmpdir(), 'keyward-test-pglite');
/** Snapshots of other migrations (other branches, older runs) are removed when unused this long. */
const STALE_MS = 3 * 24 * 60 * 60 * 1000;

/** The inputs whose change must invalidate the snapshot. */
function snapshotInputs(root: string): string[] {
  const migrations = path.join(root, 'src', 'storage', 'migrations');
  const files = fs
    .readdirSync(migrations, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return [
    ...files,
    path.join(root, 'src', 'storage', 'migrate.ts'),
    // The extensions every PGlite is opened with (a data dir made without them cannot load them).
    path.join(root, 'src', 'storage', 'connect.ts'),
    path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
  ];
}

function snapshotKey(root: string): string {
  const hash = createHash('sha256');
  for (const file of snapshotInputs(root)) hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 20);
}

/** Where the snapshot of the migrations under `root` (the repository) is kept. */
export function pgliteSnapshotPath(root = ROOT): string {
  return path.join(CACHE_DIR, `migrated-${snapshotKey(root)}.tar`);
}

/** The snapshot's file, built when missing. Safe to call from parallel processes: written aside, then renamed. */
export async function ensurePgliteSnapshot(): Promise<string> {
  const file = pgliteSnapshotPath();
  if (fs.existsSync(file)) {
    const now = new Date();
    fs.utimesSync(file, now, now);
    return file;
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const blob = await migratedPgliteSnapshot();
  const aside = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(aside, Buffer.from(await blob.arrayBuffer()));
  fs.renameSync(aside, file);
  removeStaleSnapshots(snapshotKey(ROOT));
  return file;
}

/** Removes snapshots and data dirs of other migrations that no run has built for a while. */
function removeStaleSnapshots(currentKey: string): void {
  for (const name of fs.readdirSync(CACHE_DIR)) {
    const file = path.join(CACHE_DIR, name);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!name.includes(currentKey) && stat && Date.now() - stat.mtimeMs > STALE_MS) fs.rmSync(file, { recursive: true, force: true });
  }
}

/**
 * A server's data dir (KEYWARD_DATA_DIR) as a first start leaves it, migrated and without any
 * instance, keyed like the snapshot; built once, then copied for each server a test starts so the
 * server skips initdb and the migrations. Safe from parallel processes: built aside, then renamed.
 */
export async function migratedDataDir(): Promise<string> {
  const dir = path.join(CACHE_DIR, `data-dir-${snapshotKey(ROOT)}`);
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const aside = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase({ kind: 'pglite', dataDir: aside });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  try {
    fs.renameSync(aside, dir);
  } catch (error) {
    // Another process renamed its copy first: use that one.
    fs.rmSync(aside, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw error;
  }
  return dir;
}

let loaded: Promise<Blob> | null = null;

/** The snapshot as PGlite's `loadDataDir` takes it; read once per test file. */
export function pgliteSnapshot(): Promise<Blob> {
  loaded ??= ensurePgliteSnapshot().then((file) => new Blob([fs.readFileSync(file)]));
  return loaded;
}
