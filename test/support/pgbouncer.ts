/**
 * A real PgBouncer (the Debian package) on a free loopback port in transaction pooling mode, in
 * front of one database of the TEST_DATABASE_URL server: what a deployment behind PgBouncer runs.
 * Why `-u postgres`: PgBouncer refuses to run as root (tests and CI run as root); with -u it
 * drops to that user after start, so its temp dir and files are made readable to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server-process.ts';

export const PGBOUNCER = '/usr/sbin/pgbouncer';
const START_TIMEOUT_MS = 15_000;

export function pgbouncerInstalled(): boolean {
  return fs.existsSync(PGBOUNCER);
}

export interface Pgbouncer {
  /** The same database as `databaseUrl`, through PgBouncer. */
  url: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startPgbouncer(databaseUrl: string, settings: Record<string, string> = {}): Promise<Pgbouncer> {
  const target = new URL(databaseUrl);
  const database = target.pathname.slice(1);
  const user = decodeURIComponent(target.username) || 'postgres';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const ini = [
    '[databases]',
    `${database} = host=${target.hostname} port=${target.port || '5432'} dbname=${database} user=${user}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    "unix_socket_dir = ''",
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    'default_pool_size = 5',
    'max_client_conn = 100',
    ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), ini, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`, { mode: 0o644 });
  const args = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  const child = spawn(PGBOUNCER, [...args, path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const log = () => output; // PgBouncer in the foreground logs to stderr
  const stop = () => stopChild(child, dir);
  try {
    await waitForPort(port, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), log, stop };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (code ${child.exitCode}):\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pgbouncer did not listen within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // PgBouncer's immediate shutdown
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
