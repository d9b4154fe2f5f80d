/**
 * Issue 11: the runtime the project brings (Node 24 LTS through the npm `node` package), the
 * compiled start, and the two output streams of a start (pino JSON on stdout, the lines for a
 * person on stderr). What runs, observed in spawned processes, not what package.json says.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server-process.ts';
import { NODE_FLOOR } from '../../scripts/node-version.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
/** The Node that `npm install` brought: the `node` package's binary. */
const bundledNode = fs.realpathSync(path.join(root, 'node_modules', 'node', 'bin', 'node'));
const bundledVersion = `v${(require('node/package.json') as { version: string }).version}`;

/** A module preloaded (--import) into a node process that makes it report `version` as its own. */
function fakeVersionModule(version: string): string {
  const code = `Object.defineProperty(process, 'version', { value: 'v${version}' });
    Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });`;
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

/** Runs a file of the project on the bundled Node made to report `version`, with no PORT worth listening on. */
function runAs(version: string, file: string, args: string[] = []) {
  return spawnSync(process.execPath, ['--import', fakeVersionModule(version), path.join(root, file), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', PORT: 'not-a-port' },
  });
}

describe('the runtime', () => {
  it('is the Node that npm install brought (the `node` package), an LTS at 24 or newer, the one .nvmrc names', () => {
    expect(process.version).toBe(bundledVersion);
    expect(fs.realpathSync(process.execPath)).toBe(bundledNode);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    // .nvmrc is a second copy of the major the `node` package brings (for nvm users): pinned here.
    expect(fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim()).toBe(process.versions.node.split('.')[0]);
  });

  // The README's command on a machine whose system-wide node is older: what really runs, recorded
  // by a module preloaded into every node process (NODE_OPTIONS), npm's own included.
  const systemNpm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  it.runIf(systemNpm)(
    'npm start runs scripts/build.mjs and then the compiled dist/main.js, on the bundled Node even with an older node first on PATH, never tsx or npx',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-npm-start-'));
      try {
        const log = path.join(dir, 'processes.jsonl');
        const recorder = path.join(dir, 'record.mjs');
        fs.writeFileSync(
          recorder,
          `import fs from 'node:fs';\nfs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ execPath: process.execPath, version: process.version, argv: process.argv.slice(1) }) + '\\n');\n`,
        );
        // System directories first: a bare `node` there is the machine's, not the bundled one.
        const PATH = ['/usr/local/bin', '/usr/bin', '/bin', path.dirname(systemNpm), process.env.PATH ?? ''].join(':');
        const result = spawnSync(systemNpm, ['start', '--silent'], {
          cwd: root,
          encoding: 'utf8',
          // An invalid PORT: dist/main.js runs, refuses its configuration and exits (no server left behind).
          env: { PATH, HOME: process.env.HOME ?? dir, PORT: 'not-a-port', NODE_OPTIONS: `--import=${pathToFileURL(recorder).href}` },
          timeout: 60_000,
        });
        expect(result.stderr).toContain('keyward: PORT must be an integer');
        const processes = fs
          .readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { execPath: string; version: string; argv: string[] });
        // Tools a stale build would run (tsc, vite) live in node_modules; the tsx and npx check below still sees them.
        const ours = processes.filter((p) => p.argv[0]?.startsWith(root) && !p.argv[0].includes('/node_modules/'));
        expect(ours.map((p) => path.relative(root, p.argv[0]!))).toEqual(['scripts/build.mjs', 'dist/main.js']);
        for (const p of ours)
          expect({ node: fs.realpathSync(p.execPath), version: p.version }).toEqual({ node: bundledNode, version: bundledVersion });
        for (const p of processes) expect(p.argv.join(' ')).not.toMatch(/\btsx\b|\bnpx\b|npx-cli/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('dist/main.js and the keyward command refuse a Node below the engines floor, naming it and the way to start', () => {
    const below = `${NODE_FLOOR.major}.${NODE_FLOOR.minor - 1}.99`;
    for (const file of ['dist/main.js', 'bin/keyward.mjs']) {
      const result = runAs(below, file, ['--help']);
      expect(result.status, file).toBe(1);
      expect(result.stderr).toContain(`keyward needs Node.js ${NODE_FLOOR.major}.${NODE_FLOOR.minor} or newer; this is v${below}`);
      expect(result.stderr).toContain('npm start');
      expect(result.stdout).toBe('');
    }
  });

  it('lets a Node at the floor through: dist/main.js goes on to its configuration, the keyward command to its help', () => {
    const floor = `${NODE_FLOOR.major}.${NODE_FLOOR.minor}.0`;
    const server = runAs(floor, 'dist/main.js');
    expect(server.stderr).not.toContain('keyward needs Node.js');
    expect(server.stderr).toContain('keyward: PORT must be an integer');
    const cli = runAs(floor, 'bin/keyward.mjs', ['--help']);
    expect(cli.stderr).not.toContain('keyward needs Node.js');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('instance');
  });

  // The same with a real older node, where the machine has one system-wide.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => fs.existsSync(file));
  const systemMajor = systemNode
    ? Number(spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim())
    : 0;
  it.runIf(systemNode && systemMajor > 0 && systemMajor < NODE_FLOOR.major)(
    'an older system-wide node is refused with a message naming the way to start',
    () => {
      const result = spawnSync(systemNode!, [path.join(root, 'dist', 'main.js')], {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`keyward needs Node.js ${NODE_FLOOR.major}.${NODE_FLOOR.minor} or newer`);
      expect(result.stdout).toBe('');
    },
  );
});

describe('a start', { timeout: 120_000 }, () => {
  it('writes only JSON log lines to stdout and the human lines, with the setup link, to stderr', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' });
    try {
      expect((await fetch(`${server.origin}/api/v1/health`)).status).toBe(200);
      await expect.poll(() => server.stdout().includes('request completed')).toBe(true);
      const jsonLines = server.stdout().split('\n').filter(Boolean);
      expect(jsonLines.length).toBeGreaterThan(1);
      for (const line of jsonLines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(server.stderr()).toContain('keyward is listening on');
      expect(server.setupLink).toMatch(/\/setup#token=/);
      expect(server.stdout()).not.toContain('#token=');
      for (const line of server.stderr().split('\n').filter(Boolean)) expect(line.startsWith('{'), line).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
