// Builds keyward: the server and CLI (src/ → dist/, TypeScript's compiler) and the web UI
// (web/ → web/dist/, Vite). Plain JavaScript so that it runs before anything is compiled.
//
//   node scripts/build.mjs                 build both
//   node scripts/build.mjs server|web      build one
//   node scripts/build.mjs --if-stale      build only what is missing or older than its sources
//                                          (what `npm start`, the `keyward` command and the test
//                                          set-up run; a fresh clone builds once, then starts at once)
//
// The tools are run with the Node that runs this script, from node_modules, never through npx:
// a start must not reach for the registry. With `npm ci --omit=dev` the compilers are absent; a
// built dist/ is then used as it is.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each part: where its sources are, what its build leaves behind, and the command that builds it. */
export const PARTS = {
  server: {
    label: 'the server',
    sources: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    stamp: path.join(root, 'dist', '.build-stamp'),
    tool: path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    args: ['-p', 'tsconfig.build.json'],
  },
  web: {
    label: 'the web UI',
    sources: ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts', 'web/tsconfig.json', 'package-lock.json'],
    stamp: path.join(root, 'web', 'dist', 'index.html'),
    tool: path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
    args: ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
  },
};

function newestMtimeMs(relative) {
  const full = path.join(root, relative);
  let stat;
  try {
    stat = fs.statSync(full);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(full, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const mtime = fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** 'fresh', 'stale' (sources changed since the build) or 'missing'. */
export function buildState(name) {
  const part = PARTS[name];
  let built;
  try {
    built = fs.statSync(part.stamp).mtimeMs;
  } catch {
    return 'missing';
  }
  const newest = Math.max(...part.sources.map(newestMtimeMs));
  return newest > built ? 'stale' : 'fresh';
}

function runBuild(name, { clean }) {
  const part = PARTS[name];
  if (!fs.existsSync(part.tool)) {
    return {
      ok: false,
      message: `cannot build ${part.label}: ${path.relative(root, part.tool)} is not installed (run \`npm install\`, or build before \`npm ci --omit=dev\`).`,
    };
  }
  // A full build starts from an empty dist/, so a module whose source was deleted cannot linger.
  if (clean && name === 'server') fs.rmSync(path.dirname(part.stamp), { recursive: true, force: true });
  const result = spawnSync(process.execPath, [part.tool, ...part.args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) return { ok: false, message: `building ${part.label} failed (exit ${result.status ?? result.signal}).` };
  if (name === 'server') fs.writeFileSync(part.stamp, `${new Date().toISOString()}\n`);
  return { ok: true };
}

/**
 * Several processes may ask at once (test workers, a CLI call next to `npm start`): a lock
 * directory lets one build while the others wait, then they see a fresh build.
 */
function withLock(fn) {
  const lock = path.join(root, 'node_modules', '.keyward-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code === 'ENOENT') return fn(); // no node_modules: nothing to build with anyway
      if (error.code !== 'EEXIST') throw error;
      // A lock older than the longest build belongs to a process that died while building.
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited too long for ${lock}; remove it if no build is running.`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the named parts; with `ifStale`, only those missing or older than their sources.
 * Progress goes to stderr: stdout belongs to the program that runs afterwards.
 */
export function build(names, { ifStale = false } = {}) {
  return withLock(() => {
    for (const name of names) {
      const state = buildState(name);
      if (ifStale && state === 'fresh') continue;
      if (ifStale)
        process.stderr.write(`keyward: building ${PARTS[name].label} (${state === 'missing' ? 'first start' : 'sources changed'})…\n`);
      const result = runBuild(name, { clean: !ifStale });
      if (result.ok) continue;
      // Why: a production install (`npm ci --omit=dev`) has no compiler; an existing build runs.
      if (ifStale && state === 'stale' && result.message.includes('not installed')) {
        process.stderr.write(`keyward: ${result.message} Using the existing build.\n`);
        continue;
      }
      process.stderr.write(`keyward: ${result.message}\n`);
      return false;
    }
    return true;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const ifStale = args.includes('--if-stale');
  const named = args.filter((arg) => !arg.startsWith('--'));
  const unknown = named.filter((name) => !(name in PARTS));
  if (unknown.length) {
    process.stderr.write(`usage: node scripts/build.mjs [server|web] [--if-stale] (unknown: ${unknown.join(', ')})\n`);
    process.exit(2);
  }
  process.exit(build(named.length ? named : Object.keys(PARTS), { ifStale }) ? 0 : 1);
}
