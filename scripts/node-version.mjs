// keyward runs on Node.js 22.12 or newer (package.json "engines"); `npm install` brings Node 24
// LTS as the `node` package, and npm scripts run it from node_modules/.bin. Someone who starts
// dist/main.js with an older system-wide node gets this message instead of a strange failure.
const [major, minor] = process.versions.node.split('.').map(Number);

export function requireSupportedNode() {
  if (major > 22 || (major === 22 && minor >= 12)) return;
  process.stderr.write(
    `keyward needs Node.js 22.12 or newer; this is ${process.version} (${process.execPath}).\n` +
      'Use `npm start` / `npx keyward`, which run the Node 24 that `npm install` put in node_modules/.bin,\n' +
      'or run node_modules/.bin/node dist/main.js.\n',
  );
  process.exit(1);
}
