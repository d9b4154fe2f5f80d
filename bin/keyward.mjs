#!/usr/bin/env node
// The `keyward` command: runs the compiled CLI (dist/cli/main.js), building it first when it is
// missing or older than its sources, so a fresh clone and a `git pull` both just work.
import { build } from '../scripts/build.mjs';
import { requireSupportedNode } from '../scripts/node-version.mjs';

requireSupportedNode();
if (!build(['server'], { ifStale: true })) process.exit(1);
await import('../dist/cli/main.js');
