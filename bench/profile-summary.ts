/**
 * Sums a V8 CPU profile (BENCH_CPU_PROFILE of bench/run.ts) by where the time was spent: self time
 * per npm package (node_modules/<name>), per keyward source file, and for Node's own code; and
 * total time (with what they called) by the same places.
 *
 *   npx tsx bench/profile-summary.ts file.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts file.cpuprofile [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

/** A sample's place: the package, the keyward file, node's internals, or V8's own (gc, idle, program). */
function placeOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return `(${functionName || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/((?:src|test|bench)\/.*)$/.exec(url);
  if (own) return own[1]!;
  if (url === 'node:inspector' || url === 'node:inspector/promises') return '(profiler)';
  if (url.startsWith('node:')) return 'node:*';
  return url;
}

const byPlace = new Map<string, number>();
const byFunction = new Map<string, number>();
/** Inclusive: a sample counts once for each place on its stack (Kysely calling pg counts for both). */
const inclusive = new Map<string, number>();
/** Each sample once, in the first layer on its stack (in LAYERS order: the driver before Kysely, which calls it). */
const byLayer = new Map<string, number>();
const LAYERS: Array<[string, (place: string) => boolean]> = [
  ['database driver (pg, PGlite) and its socket writes', (p) => /^(pg|pg-protocol|pg-pool|@electric-sql\/.*|\(writev\)|wasm:.*)$/.test(p)],
  ['Kysely (building, compiling, executor)', (p) => p === 'kysely'],
  [
    'HTTP (fastify, inject, cookies, headers)',
    (p) => /^(fastify|light-my-request|@fastify\/.*|helmet|find-my-way|set-cookie-parser|cookie|avvio)$/.test(p),
  ],
  ['keyward crypto (tokens, HMAC, AES-GCM, TOTP)', (p) => p.startsWith('src/crypto/')],
  ['keyward storage (row mapping, prepared queries)', (p) => p.startsWith('src/storage/')],
  ['keyward domain and routes', (p) => p.startsWith('src/domain/') || p.startsWith('src/http/')],
  ['garbage collector', (p) => p === '((garbage collector))'],
];
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id)!;
  const micros = profile.timeDeltas[i] ?? 0;
  total += micros;
  const place = placeOf(node);
  byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
  const fn = `${place} ${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  const onStack = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) onStack.add(placeOf(byId.get(at)!));
  for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  if (place !== '((idle))' && !onStack.has('(profiler)')) {
    const layer = LAYERS.find(([, member]) => [...onStack].some(member))?.[0] ?? 'other (node, microtasks, the bench client)';
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
  }
});

// Idle, and the profiler stopping (it serialises the profile on the main thread), are not the logins'.
const busy = total - (byPlace.get('((idle))') ?? 0) - (byPlace.get('(profiler)') ?? 0);
const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${(micros / 1000).toFixed(0).padStart(7)} ms ${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${name}`);
  }
};
console.log(
  `sampled ${(total / 1000).toFixed(0)} ms, of which busy with the logins ${(busy / 1000).toFixed(0)} ms (percentages of the latter)`,
);
print('by layer (each sample once)', byLayer);
print('self time by package or file', byPlace);
print('total time (self and callees) by package or file', inclusive);
print('self time by function', byFunction);
