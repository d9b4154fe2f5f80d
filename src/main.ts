/**
 * What `npm start` runs (`node dist/main.js`): the same as `keyward serve` (src/serve.ts), one
 * process unless KEYWARD_WORKERS says more.
 */
// The Node floor's one home is package.json "engines"; the check is shared with bin/keyward.mjs.
import { requireSupportedNode } from '../scripts/node-version.mjs';
import { serve } from './serve.ts';

requireSupportedNode();
await serve();
