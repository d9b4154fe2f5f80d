// The Node floor of keyward has one home: package.json "engines.node" (">=MAJOR.MINOR"), which
// npm reads too (EBADENGINE). `npm install` brings Node 24 LTS as the `node` package, and npm
// scripts run it from node_modules/.bin; someone who starts dist/main.js or bin/keyward.mjs with
// an older system-wide node gets one clear message instead of a strange failure. Plain JavaScript
// that any old Node parses, read by both (bin/keyward.mjs and src/main.ts through
// node-version.d.mts).
import fs from 'node:fs';

/** The floor in an engines range of the one form keyward uses, ">=MAJOR.MINOR"; throws on any other form. */
export function parseNodeFloor(range) {
  const match = /^>=\s*(\d+)\.(\d+)$/.exec(String(range).trim());
  if (!match) throw new Error(`package.json "engines.node" must read ">=MAJOR.MINOR", not ${JSON.stringify(range)}`);
  return { major: Number(match[1]), minor: Number(match[2]) };
}

const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The lowest Node.js keyward runs on, from package.json "engines.node". */
export const NODE_FLOOR = parseNodeFloor(manifest.engines && manifest.engines.node);

/** null when `version` ("24.1.0") meets NODE_FLOOR; otherwise the message for the person who started keyward. */
export function unsupportedNodeMessage(version = process.versions.node, execPath = process.execPath) {
  const [major = 0, minor = 0] = String(version).split('.').map(Number);
  if (major > NODE_FLOOR.major || (major === NODE_FLOOR.major && minor >= NODE_FLOOR.minor)) return null;
  return (
    `keyward needs Node.js ${NODE_FLOOR.major}.${NODE_FLOOR.minor} or newer; this is v${version} (${execPath}).\n` +
    'Use `npm start` / `npx keyward`, which run the Node 24 that `npm install` put in node_modules/.bin,\n' +
    'or run node_modules/.bin/node dist/main.js.\n'
  );
}

/** Writes the message to stderr and exits 1 when this Node is older than NODE_FLOOR. */
export function requireSupportedNode() {
  const message = unsupportedNodeMessage();
  if (message === null) return;
  process.stderr.write(message);
  process.exit(1);
}
