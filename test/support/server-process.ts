/**
 * The real server as a child process (`tsx src/main.ts`) on a free loopback port with its own
 * embedded database in a temp dir: what `npm start` runs, for flows through a real browser.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  /** The one-time first-run link, when the server printed one (empty database). */
  readonly setupLink: string | null;
  stop(): Promise<void>;
}

let webBuilt = false;

/**
 * Builds web/dist when it is missing (scripts/ensure-web.mjs), or older than its sources so a
 * test never drives a stale UI. Test files run in parallel workers, so a lock directory keeps
 * two workers from building into web/dist at once.
 */
export function ensureWebBuilt(): void {
  if (webBuilt) return;
  const lock = path.join(os.tmpdir(), 'keyward-web-build.lock');
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`Waited too long for ${lock}; remove it if no build is running.`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const index = path.join(root, 'web', 'dist', 'index.html');
    if (fs.existsSync(index) && newestSourceMs(path.join(root, 'web')) > fs.statSync(index).mtimeMs) fs.rmSync(index);
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-web.mjs')], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`Building the web UI failed:\n${result.stdout}\n${result.stderr}`);
    webBuilt = true;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function newestSourceMs(webDir: string): number {
  const files = [path.join(webDir, 'index.html'), path.join(webDir, 'vite.config.ts')];
  for (const folder of ['src', 'public']) {
    for (const entry of fs.readdirSync(path.join(webDir, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
    }
  }
  return Math.max(...files.map((file) => fs.statSync(file).mtimeMs));
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

/** Starts a server on an empty database; `env` adds or overrides variables. */
export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  ensureWebBuilt();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-test-'));
  const inherited = { ...process.env };
  // Why: a developer's own settings must not point the test server at real mail or databases.
  for (const name of ['SMTP_URL', 'DATABASE_URL', 'TRUST_PROXY', 'KEYWARD_SECRET_KEY']) delete inherited[name];
  const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
    cwd: root,
    env: {
      ...inherited,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `${origin}/`,
      KEYWARD_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  const stop = () => stopChild(child, dataDir);
  try {
    await waitForReady(child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    origin,
    port,
    dataDir,
    output: () => output,
    get setupLink() {
      return output.match(/https?:\/\/\S+\/setup#token=[\w-]+/)?.[0] ?? null;
    },
    stop,
  };
}

function waitForReady(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`The server did not start within ${START_TIMEOUT_MS} ms:\n${output()}`)), START_TIMEOUT_MS);
    const onData = () => {
      if (output().includes(READY_LINE)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`The server exited (code ${code}) before listening:\n${output()}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stdout!.on('data', onData);
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
