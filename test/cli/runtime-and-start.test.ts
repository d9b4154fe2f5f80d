/**
 * Issue 11: the runtime the project brings (Node 24 LTS through the npm `node` package), the
 * compiled start, and the two output streams of a start (pino JSON on stdout, the lines for a
 * person on stderr).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server-process.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

describe('the runtime', () => {
  it('is the Node that npm install brought (the `node` package), an LTS at 24 or newer', () => {
    const pkg = require('node/package.json') as { version: string };
    expect(process.version).toBe(`v${pkg.version}`);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe('>=22.12');
    expect(fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim()).toBe(process.versions.node.split('.')[0]);
  });

  it('npm start runs the compiled build, never tsx or npx', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(manifest.scripts.start).toBe('node scripts/build.mjs --if-stale && node dist/main.js');
    expect(manifest.dependencies).not.toHaveProperty('tsx');
    for (const file of ['scripts/build.mjs', 'bin/keyward.mjs'])
      expect(fs.readFileSync(path.join(root, file), 'utf8')).not.toMatch(/\bnpx\b['"]/);
  });

  // Someone who runs dist/main.js with an older system-wide node gets one clear line.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => fs.existsSync(file));
  const systemMajor = systemNode
    ? Number(spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim())
    : 0;
  it.runIf(systemNode && systemMajor > 0 && systemMajor < 22)(
    'an older system-wide node is refused with a message naming the way to start',
    () => {
      const result = spawnSync(systemNode!, [path.join(root, 'dist', 'main.js')], {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('keyward needs Node.js 22.12 or newer');
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
