/**
 * The Node floor has one home, package.json "engines.node" (what npm checks, EBADENGINE), and one
 * check that reads it (scripts/node-version.mjs), shared by the server's start (src/main.ts) and
 * the `keyward` command (bin/keyward.mjs). Issue 11 review: the number lived in three places.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLOOR, parseNodeFloor, unsupportedNodeMessage } from '../../scripts/node-version.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('the Node floor', () => {
  const { major, minor } = NODE_FLOOR;

  it('refuses every version below the floor and nothing from it on, naming the floor and the version', () => {
    for (const version of [`${major}.${minor}.0`, `${major}.${minor}.7`, `${major}.${minor + 1}.0`, `${major + 1}.0.0`, '24.21.0'])
      expect(unsupportedNodeMessage(version, '/opt/node'), version).toBeNull();
    const below = [`${major - 1}.99.0`, '20.19.0', ...(minor > 0 ? [`${major}.${minor - 1}.99`, `${major}.0.0`] : [])];
    for (const version of below) {
      const message = unsupportedNodeMessage(version, '/usr/bin/node');
      expect(message, version).toContain(`keyward needs Node.js ${major}.${minor} or newer; this is v${version} (/usr/bin/node)`);
      expect(message).toContain('npm start');
    }
  });

  it('lets the Node that runs this suite (the `node` package npm install brought) through', () => {
    expect(unsupportedNodeMessage()).toBeNull();
  });

  it('reads any floor of the form engines uses, and refuses a form it cannot check', () => {
    expect(parseNodeFloor('>=24.1')).toEqual({ major: 24, minor: 1 });
    expect(parseNodeFloor(' >= 26.0 ')).toEqual({ major: 26, minor: 0 });
    // A range npm understands but this check does not must fail loudly, not be half-checked.
    for (const range of ['^22.12', '>=22', '22.x', '>=22.12 <25', '', undefined])
      expect(() => parseNodeFloor(range as string), String(range)).toThrow(/engines\.node/);
  });

  it('has no second copy: no code but package.json names the floor', () => {
    const floor = new RegExp(`\\b${major}\\s*[.,]\\s*${minor}\\b`);
    const files = ['src', 'scripts', 'bin'].flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js)$/.test(entry.name))
        .map((entry) => path.join(entry.parentPath, entry.name)),
    );
    expect(files.length).toBeGreaterThan(50);
    const copies = files.filter((file) => floor.test(fs.readFileSync(file, 'utf8'))).map((file) => path.relative(root, file));
    expect(copies).toEqual([]);
  });
});
