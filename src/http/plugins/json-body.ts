import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidInput } from '../../domain/shared/errors.ts';

/** No request keyward serves nests deeper than a handful of levels; 32 leaves room, 5,000 does not. */
export const MAX_JSON_DEPTH = 32;

interface Frame {
  kind: 'object' | 'array';
  path: string;
  /** Object frames: the keys seen so far, the last one, and whether the next string is a key. */
  keys: Set<string>;
  key: string | null;
  expectKey: boolean;
  /** The key this object is the value of (for constructor.prototype). */
  parentKey: string | null;
  index: number;
}

const childPath = (top: Frame | undefined): string => {
  if (!top) return 'body';
  if (top.kind === 'array') return `${top.path === 'body' ? '' : top.path}[${top.index}]`;
  return top.path === 'body' ? top.key! : `${top.path}.${top.key}`;
};

/** The end (index of the closing quote) of the string starting at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Records an object key; refuses duplicates and the keys secure-json-parse refuses. */
function addKey(top: Frame, raw: string): void {
  let key: string;
  try {
    key = JSON.parse(raw) as string;
  } catch {
    return; // JSON.parse of the whole body refuses it afterwards.
  }
  top.key = key;
  top.expectKey = false;
  const path = childPath(top);
  if (top.keys.has(key)) throw invalidInput(path, `The key "${key}" appears twice; send it once.`);
  if (key === '__proto__' || (key === 'prototype' && top.parentKey === 'constructor'))
    throw invalidInput(path, 'This key is not accepted.');
  top.keys.add(key);
}

/**
 * Checks JSON text before it is parsed, in one pass without recursion: nesting at most
 * MAX_JSON_DEPTH, no object key twice (at any level, in any escape spelling), no `__proto__` and
 * no `constructor.prototype`. Malformed text is left to JSON.parse.
 */
export function checkJsonText(text: string): void {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return;
      if (top?.kind === 'object' && top.expectKey) addKey(top, text.slice(i, end + 1));
      i = end;
    } else if (c === '{' || c === '[') {
      const path = childPath(top);
      if (stack.length >= MAX_JSON_DEPTH) throw invalidInput(path, `The body nests deeper than ${MAX_JSON_DEPTH} levels.`);
      const parentKey = top?.kind === 'object' ? top.key : null;
      stack.push({ kind: c === '{' ? 'object' : 'array', path, keys: new Set(), key: null, expectKey: c === '{', parentKey, index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index += 1;
    }
  }
}

/**
 * Replaces Fastify's JSON parser. Why: JSON.parse accepts any depth (and the text guard walked
 * the result before any schema: 5,000 levels were a 500 with a stack), and lets the last of two
 * equal keys win, so a proxy or log reading the first sees another request (issue 10 items 12 and
 * 21; OWASP ASVS 5.0 V1.5). Kept from Fastify's parser: prototype-poisoning refusal (as
 * secure-json-parse's "error" actions), 400 for an empty or malformed body; the body limit (413)
 * and 415 for other types come from Fastify around it.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request: FastifyRequest, body: string | Buffer, done) => {
    // A leading byte-order mark is dropped, as secure-json-parse (Fastify's parser) does.
    const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
    if (text.length === 0) return done(invalidInput('body', 'The request body is empty.'), undefined);
    try {
      checkJsonText(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidInput('body', 'The request body is not valid JSON.'), undefined);
    }
  });
}
