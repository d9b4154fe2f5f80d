/**
 * Issue 11: "No EBADENGINE warnings on a fresh `npm install`", on machines whose system-wide Node
 * is 20 (npm checks every package's `engines.node` against the Node that runs npm, not the Node 24
 * it installs). The ecosystem's floor on the 20 line is 20.19 (eslint, vite, rolldown ask for
 * `^20.19.0 || …`; Debian machines here have 20.20), so every locked package must admit 20.19. package.json's `overrides` keep cookie and content-disposition on the CommonJS releases
 * with the same API (cookie 1.1 has `parseCookie`/`stringifySetCookie`, content-disposition 2.0 has
 * `create`/`parse`) for the three dependents whose newest releases ask for Node 22.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const OLDEST_NODE_20 = '20.19.0';

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

describe('a fresh npm install on a system-wide Node 20', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };

  it('locks no package whose engines.node refuses Node 20.19 (the root, which npm does not check, aside)', () => {
    const entries = Object.entries(lock.packages).filter(([where]) => where !== '');
    expect(entries.length).toBeGreaterThan(300);
    const refusing = entries
      .filter(([, pkg]) => pkg.engines && !Array.isArray(pkg.engines) && pkg.engines.node)
      .filter(([, pkg]) => !semver.satisfies(OLDEST_NODE_20, (pkg.engines as { node: string }).node, { includePrerelease: true }))
      .map(([where, pkg]) => `${where}@${pkg.version}: ${(pkg.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('gives each dependent of an overridden package the functions it calls', () => {
    // What @fastify/cookie, light-my-request (fastify's inject) and @fastify/static call, loaded as they load it.
    const from = (dependent: string) => createRequire(createRequire(path.join(root, 'package.json')).resolve(dependent));
    const fastifyRequire = createRequire(createRequire(path.join(root, 'package.json')).resolve('fastify'));
    const lightMyRequest = createRequire(fastifyRequire.resolve('light-my-request'));
    expect(Object.keys(from('@fastify/cookie')('cookie'))).toEqual(expect.arrayContaining(['parseCookie', 'stringifySetCookie']));
    expect(Object.keys(lightMyRequest('cookie'))).toEqual(expect.arrayContaining(['stringifySetCookie']));
    expect(Object.keys(from('@fastify/static')('content-disposition'))).toEqual(expect.arrayContaining(['create', 'parse']));
  });
});
