// Types of node-version.mjs (plain JavaScript, so that an old Node can run it), for src/main.ts.

/** The floor in an engines range of the form ">=MAJOR.MINOR"; throws on any other form. */
export function parseNodeFloor(range: string): { major: number; minor: number };
/** The lowest Node.js keyward runs on, from package.json "engines.node". */
export const NODE_FLOOR: { readonly major: number; readonly minor: number };
/** null when `version` ("24.1.0") meets NODE_FLOOR; otherwise the message for the person who started keyward. */
export function unsupportedNodeMessage(version?: string, execPath?: string): string | null;
/** Writes the message to stderr and exits 1 when this Node is older than NODE_FLOOR. */
export function requireSupportedNode(): void;
