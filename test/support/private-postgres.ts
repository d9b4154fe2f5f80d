/**
 * A PostgreSQL cluster of a test's own (Debian's server binaries: initdb, pg_ctl, pg_isready) in
 * a temp dir, on a free loopback port with its socket in that dir: for tests that stop, restart
 * or crash the database server itself, which the shared TEST_DATABASE_URL server must never be.
 * Why `runuser -u postgres`: initdb and postgres refuse to run as root (tests and CI run as
 * root); the dir is handed to that user. Trust auth, loopback only.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.ts';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const COMMAND_TIMEOUT_MS = 30_000;

/** The newest installed server's bin dir, or null when none is installed. */
export function postgresBinDir(): string | null {
  if (!fs.existsSync(PG_ROOT)) return null;
  const versions = fs
    .readdirSync(PG_ROOT)
    .filter((version) => fs.existsSync(path.join(PG_ROOT, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(PG_ROOT, versions[0]!, 'bin') : null;
}

/** Why the cluster cannot be made here, or null when it can: the binaries, and root (for runuser) or the postgres user itself. */
export function privatePostgresUnavailable(): string | null {
  if (!postgresBinDir()) return `no PostgreSQL server binaries under ${PG_ROOT}/*/bin`;
  if (process.getuid?.() !== 0) return 'not root: runuser -u postgres needs root';
  return null;
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** `pg_ctl restart -m MODE`: fast ends sessions cleanly (57P01); immediate kills every backend, as a crash does, and recovers from WAL. */
  restart(mode: 'fast' | 'immediate', options?: { pauseMs?: number }): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (immediate) and removes its dir. */
  destroy(): Promise<void>;
  log(): string;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privatePostgresUnavailable()!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  fs.chmodSync(dir, 0o755);
  await run('chown', ['postgres:postgres', dir]);
  const asPostgres = (command: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' });
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const pgCtl = (args: string[]) => asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, ...args]);
  const waitReady = async () => {
    const deadline = Date.now() + COMMAND_TIMEOUT_MS;
    for (;;) {
      const ready = await asPostgres('pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-t', '1']).then(
        () => true,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL was not ready within ${COMMAND_TIMEOUT_MS} ms:\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  // `-w -t`: pg_ctl itself waits, bounded; pg_isready then confirms the port answers.
  const start = async () => {
    await pgCtl(['-w', '-t', '30', '-o', options, 'start']);
    await waitReady();
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await pgCtl(['-w', '-t', '30', '-m', mode, 'stop']);
  };
  try {
    await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await start();
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    log,
    start,
    stop,
    async restart(mode, { pauseMs = 0 } = {}) {
      if (pauseMs === 0) {
        await pgCtl(['-w', '-t', '30', '-m', mode, '-o', options, 'restart']);
        await waitReady();
        return;
      }
      // Down for a while: long enough that requests surely meet the database away.
      await stop(mode);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await start();
    },
    async destroy() {
      await pgCtl(['-w', '-t', '30', '-m', 'immediate', 'stop']).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
