/**
 * The real server as a child process (`node dist/main.js`, the compiled build) on a free
 * loopback port with its own embedded database in a temp dir: what `npm start` runs, for flows
 * through a real browser. The build is the Vitest global set-up's (global-setup.ts builds dist/
 * and web/dist when missing or stale, once per run, before any file of a project that starts one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migratedDataDir } from './pglite-snapshot.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_LINE = 'keyward is listening on';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  /** http://127.0.0.1:PORT, without a trailing slash. */
  origin: string;
  port: number;
  dataDir: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stdout only: pino's JSON lines. */
  stdout(): string;
  /** What it wrote to stderr only: the lines for the person who started it. */
  stderr(): string;
  /** The one-time first-run link, when the server printed one (empty database). */
  readonly setupLink: string | null;
  /** The process started (with `args`: the CLI's primary). */
  pid: number;
  /** Resolves when the process has exited, with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server on an empty database; `env` adds or overrides variables. Its own data dir starts
 * as a copy of one already migrated (no instance yet), unless `freshDataDir` asks for what a first
 * `npm start` finds: nothing, so the server runs initdb and every migration itself.
 */
export async function startServer(
  env: Record<string, string> = {},
  options: {
    freshDataDir?: boolean;
    /** Runs the CLI (bin/keyward.mjs ARGS, e.g. serve --workers 2) instead of dist/main.js. */ args?: string[];
    /** Node's own flags before the script (bench/http.ts: --cpu-prof). */
    nodeArgs?: string[];
  } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-test-'));
  if (!options.freshDataDir && !env.KEYWARD_DATA_DIR) fs.cpSync(await migratedDataDir(), dataDir, { recursive: true });
  const inherited = { ...process.env };
  // Why: a developer's own settings must not point the test server at real mail or databases.
  for (const name of ['SMTP_URL', 'DATABASE_URL', 'TRUST_PROXY', 'KEYWARD_SECRET_KEY']) delete inherited[name];
  const command = options.args ? [path.join(root, 'bin', 'keyward.mjs'), ...options.args] : [path.join(root, 'dist', 'main.js')];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...command], {
    cwd: root,
    env: {
      ...inherited,
      LOG_LEVEL: 'warn',
      // Tests stop servers with SIGTERM: no load balancer to wait for (graceful-drain.test.ts sets its own).
      KEYWARD_DRAIN_SECONDS: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `${origin}/`,
      KEYWARD_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((output += chunk), (stdout += chunk)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((output += chunk), (stderr += chunk)));

  const stop = () => stopChild(child, dataDir);
  try {
    await waitForReady(
      child,
      () => stderr,
      () => output,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    origin,
    port,
    dataDir,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    get setupLink() {
      return stderr.match(/https?:\/\/\S+\/setup#token=[\w-]+/)?.[0] ?? null;
    },
    pid: child.pid!,
    exited,
    stop,
  };
}

/** Ready once the human start-up lines (stderr) say where it listens. */
function waitForReady(child: ChildProcess, humanLines: () => string, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`The server did not start within ${START_TIMEOUT_MS} ms:\n${output()}`)),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      if (humanLines().includes(READY_LINE)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`The server exited (code ${code}) before listening:\n${output()}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

async function stopChild(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}
