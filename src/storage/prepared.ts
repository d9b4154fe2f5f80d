/**
 * Prepared queries: a Kysely query built and compiled once per shape, run many times with new
 * values. Why: building a query with the typed builder and compiling it cost the login kernel's
 * lookups 0.1 to 0.3 ms of CPU each (the loaded 2-core development machine), on every request,
 * for SQL that never changes for a given shape, only its parameters do (docs/performance.md). The
 * typed builder stays the source of the SQL and of the row type (InferResult of what `build`
 * returns).
 *
 * How: `build` is called with placeholders in place of the values (every string, number, bigint,
 * Date and byte array inside `params`, found through plain objects and arrays), each a unique
 * object that Kysely passes through as a parameter. After compiling, each parameter slot is either
 * one of those placeholders (matched by identity, never by value, so no real value can be taken
 * for one) or a constant of the query itself. A run puts the real values into their slots and
 * sends the cached SQL through the handle's own executor: on the handle's connection (a
 * transaction's too), through its plugins (each sees every statement: the statement budget's
 * counter, test/support/query-counter.ts), on PGlite and pg alike.
 *
 * The shape is what `build` may branch on: which keys are present, which are null or undefined,
 * the lengths of arrays (an `in` list of 3 is another query than one of 2), and booleans (kept as
 * they are). Each shape gets its own compiled query, at most `maxShapes` per dialect (the oldest
 * is dropped). `build` must not look at a value: a placeholder throws when converted to a string
 * or number, and comparing one (`key.scope === 'address'`) would silently take one branch for
 * every value. What `build` has to decide on a value goes into `shape`, which is part of the
 * cache key and handed to `build` as its third argument. `build` is defined at module level, so
 * it cannot close over a call's values either (they would be compiled into the cached query).
 *
 * For writes (the login steps' session swap, code use, throttle reservation): the same, with
 * `.returning(...)` for the rows (or `executeQuery` for `numAffectedRows`); `build` may also
 * return an `sql` template (`sql<Row>\`with ended as (…) …\``), whose row type is its own. A
 * JSON value (an audit event's details) is stringified by the caller and passed as one string:
 * `JSON.stringify` of a placeholder throws. E.g.
 *
 *   const useStep = prepared((db, p: { instanceId: string; userId: string; step: number }) =>
 *     db.updateTable('totp_credentials').set({ last_used_step: p.step })
 *       .where('instance_id', '=', p.instanceId).where('user_id', '=', p.userId)
 *       .where('last_used_step', '<', p.step).returning('user_id'),
 *   );
 *   const used = await useStep.executeTakeFirst(db, { instanceId, userId, step });
 *
 * and for a CTE list that depends on a key's scope (throttleCleanup splits address keys from the
 * others): `shape: (p) => p.clearKeys.map((k) => k.scope === 'address')`, used by `build` as
 * `shape[i]` instead of reading `p.clearKeys[i].scope`.
 */
import {
  createQueryId,
  NoResultError,
  type RawBuilder,
  type Compilable,
  type CompiledQuery,
  type DialectAdapter,
  type InferResult,
  type Kysely,
  type QueryNode,
  type QueryResult,
} from 'kysely';
import type { Database } from './schema.ts';

/**
 * Starts a statement that must be planned for its values on every run: preparingPool (connect.ts) and
 * PGlite's dialect send it unnamed, and PostgreSQL (plan_cache_mode auto, the default) plans an unnamed statement for its
 * parameters each time. A named statement is planned generically from its sixth run on whenever
 * the generic plan's estimate is no dearer, and the Users list's word search then walked the
 * whole list's btree index filtering every row instead of using its trigram index (the generic
 * plan knows no pattern, so it takes the default LIKE selectivity;
 * test/security/users-list-plans.test.ts). For cold statements whose best plan depends on the values.
 */
export const PLANNED_PER_RUN = '/* planned per run */ ';

/**
 * Whether a statement text runs as a named prepared statement (preparingPool in connect.ts, and
 * PGlite's dialect): what Kysely's queries are (select, DML, with), unless marked PLANNED_PER_RUN.
 * DDL, transaction control and SET go unnamed.
 */
export const preparable = (text: string): boolean =>
  !text.startsWith(PLANNED_PER_RUN) && /^\s*(with|select|insert|update|delete)\b/i.test(text);

/** A JSON value: what `shape` may return. */
type ShapeValue = string | number | boolean | null | ShapeValue[] | { [key: string]: ShapeValue };

/** What `build` returns: a query of the typed builder, or an `sql` template (the row type its own). */
export type Buildable = Compilable<unknown> | RawBuilder<unknown>;

/** The row type of a built query (a builder's write needs `.returning(...)` to have rows). */
export type RowOf<Q> =
  Q extends RawBuilder<infer O> ? O : Q extends Compilable<unknown> ? (InferResult<Q> extends ReadonlyArray<infer R> ? R : never) : never;

export interface PreparedOptions<P, S extends ShapeValue> {
  /** What `build` decides on values (see the module comment); its JSON is part of the cache key. */
  shape?: (params: P) => S;
  /** Compiled shapes kept per dialect; more are compiled again when they come back. Default 32. */
  maxShapes?: number;
}

export interface PreparedQuery<P, R> {
  /** All rows. */
  execute(db: Kysely<Database>, params: P): Promise<R[]>;
  executeTakeFirst(db: Kysely<Database>, params: P): Promise<R | undefined>;
  /** The first row, or NoResultError. */
  executeTakeFirstOrThrow(db: Kysely<Database>, params: P): Promise<R>;
  /** The driver's result: the rows and, for a write, numAffectedRows. */
  executeQuery(db: Kysely<Database>, params: P): Promise<QueryResult<R>>;
  /** The statement a run with `params` sends (without plugins): for tests, and to read it. */
  compile(db: Kysely<Database>, params: P): CompiledQuery<R>;
  /** The query built with the values themselves, the way it was written, compiled: what compile() must equal. */
  compileUnprepared(db: Kysely<Database>, params: P): CompiledQuery<R>;
}

/** One compiled shape: the SQL and its plugin-free operation node, its placeholders, and what goes into each parameter slot. */
interface Shape {
  compiled: CompiledQuery;
  placeholders: readonly Placeholder[];
  slots: readonly Slot[];
}

/**
 * A parameter slot: the index of a value among the call's values (in the order the params are
 * walked), a constant of the query, or an array parameter of such slots (`sql` with an array).
 */
type Slot = number | { constant: unknown } | { array: Slot[] };

/**
 * A value's stand-in while a shape is built. An object of this module only, compared by identity:
 * a string or number equal to anything a placeholder might print as cannot be taken for one.
 */
class Placeholder {
  constructor(
    readonly index: number,
    readonly path: string,
  ) {}
  /** Building must not depend on a value (it would be compiled into every later run). */
  [Symbol.toPrimitive](): never {
    throw new TypeError(`prepared query: the value at ${this.path} is a parameter; the query must not read it while being built`);
  }
  toJSON(): never {
    return this[Symbol.toPrimitive]();
  }
}

/**
 * A query built by `build` once per shape of its parameters and compiled once; see the module
 * comment for what the shape is and what `build` must not do.
 */
export function prepared<P extends object, Q extends Buildable, S extends ShapeValue = never>(
  build: (db: Kysely<Database>, params: P, shape: S) => Q,
  options: PreparedOptions<P, S> = {},
): PreparedQuery<P, RowOf<Q>> {
  type R = RowOf<Q>;
  const maxShapes = options.maxShapes ?? 32;
  const shapeOf = options.shape;
  // Per dialect adapter (one per opened database, shared by its transactions and plugin
  // variants): a compiled query is only reused with the compiler that made it.
  const byDialect = new WeakMap<DialectAdapter, Map<string, Shape>>();

  const shapeFor = (db: Kysely<Database>, params: P, walked: Walked): Shape => {
    const executor = db.getExecutor();
    let shapes = byDialect.get(executor.adapter);
    if (!shapes) byDialect.set(executor.adapter, (shapes = new Map<string, Shape>()));
    const key = shapeOf ? `${walked.key}|${JSON.stringify(shapeOf(params))}` : walked.key;
    const cached = shapes.get(key);
    if (cached) return cached;
    const placeholders: Placeholder[] = [];
    const stand = withPlaceholders(params, 'params', placeholders) as P;
    // Without plugins: a plugin sees the statement when it runs, once per run (see run()).
    const compiled = compileBuilt(db, build(db.withoutPlugins(), stand, shapeOf?.(params) as S));
    const shape = { compiled, placeholders, slots: slotsOf(compiled, placeholders) };
    if (shapes.size >= maxShapes) shapes.delete(shapes.keys().next().value!);
    shapes.set(key, shape);
    return shape;
  };

  const run = async (db: Kysely<Database>, params: P): Promise<{ result: QueryResult<R>; shape: Shape }> => {
    const walked = walk(params);
    const shape = shapeFor(db, params, walked);
    const executor = db.getExecutor();
    const queryId = createQueryId();
    // The handle's plugins see the statement as they would see the builder's: transformQuery,
    // then transformResult with the same query id. A plugin that only looks (the counter) leaves
    // the node as it is and the cached SQL runs; one that changes it gets its version compiled
    // (as slow as the builder, still correct: its nodes hold the same placeholders).
    const node = executor.transformQuery(shape.compiled.query, queryId);
    const own = node === shape.compiled.query ? null : executor.compileQuery(node, queryId);
    const slots = own ? slotsOf(own, shape.placeholders) : shape.slots;
    const result = await executor.executeQuery<R>({
      query: node,
      queryId,
      sql: own ? own.sql : shape.compiled.sql,
      parameters: slots.map((slot) => valueOf(slot, walked.values)),
    });
    return { result, shape };
  };

  return {
    execute: async (db, params) => (await run(db, params)).result.rows,
    executeTakeFirst: async (db, params) => (await run(db, params)).result.rows.at(0),
    executeTakeFirstOrThrow: async (db, params) => {
      const { result, shape } = await run(db, params);
      if (result.rows.length === 0) throw new NoResultError(shape.compiled.query as QueryNode);
      return result.rows[0]!;
    },
    executeQuery: async (db, params) => (await run(db, params)).result,
    compile: (db, params) => {
      const walked = walk(params);
      const shape = shapeFor(db, params, walked);
      const compiled: CompiledQuery<R> = { ...shape.compiled, parameters: shape.slots.map((slot) => valueOf(slot, walked.values)) };
      return compiled;
    },
    compileUnprepared: (db, params) => compileBuilt(db, build(db.withoutPlugins(), params, shapeOf?.(params) as S)),
  };
}

/** A built query compiled without plugins (an `sql` template compiles against a handle). */
function compileBuilt(db: Kysely<Database>, built: Buildable): CompiledQuery {
  return 'isRawBuilder' in built ? built.compile(db.withoutPlugins()) : built.compile();
}

/** A call's params as a cache key of their shape and the list of their values, in walking order. */
interface Walked {
  key: string;
  values: unknown[];
}

/** Whether `value` is one parameter (rather than structure to walk into). */
function isValue(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'bigint' || value instanceof Date || value instanceof Uint8Array;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function walk(params: unknown): Walked {
  const values: unknown[] = [];
  const visit = (value: unknown, path: string): string => {
    if (isValue(value)) {
      values.push(value);
      return 'v';
    }
    if (value === null) return 'n';
    if (value === undefined) return 'u';
    if (value === true) return 't';
    if (value === false) return 'f';
    if (Array.isArray(value)) return `[${value.map((item, i) => visit(item, `${path}[${i}]`)).join(',')}]`;
    if (typeof value === 'object' && isPlainObject(value)) {
      let key = '{';
      for (const name in value) key += `${name}:${visit((value as Record<string, unknown>)[name], `${path}.${name}`)},`;
      return `${key}}`;
    }
    throw new TypeError(`prepared query: ${path} is neither a value nor a plain object or array`);
  };
  const key = visit(params, 'params');
  return { key, values };
}

/** `params` with each value replaced by a new placeholder (pushed to `placeholders`, index = walking order). */
function withPlaceholders(value: unknown, path: string, placeholders: Placeholder[]): unknown {
  if (isValue(value)) {
    const placeholder = new Placeholder(placeholders.length, path);
    placeholders.push(placeholder);
    return placeholder;
  }
  if (Array.isArray(value)) return value.map((item, i) => withPlaceholders(item, `${path}[${i}]`, placeholders));
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const name in value) copy[name] = withPlaceholders((value as Record<string, unknown>)[name], `${path}.${name}`, placeholders);
    return copy;
  }
  return value;
}

function slotsOf(compiled: CompiledQuery, placeholders: readonly Placeholder[]): Slot[] {
  return compiled.parameters.map((parameter) => slotOf(parameter, placeholders));
}

function slotOf(parameter: unknown, placeholders: readonly Placeholder[]): Slot {
  if (parameter instanceof Placeholder) {
    if (placeholders[parameter.index] !== parameter) throw new Error(`prepared query: a placeholder of another shape at ${parameter.path}`);
    return parameter.index;
  }
  if (Array.isArray(parameter) && parameter.some(containsPlaceholder))
    return { array: parameter.map((item) => slotOf(item, placeholders)) };
  if (containsPlaceholder(parameter)) throw new TypeError('prepared query: a placeholder inside an object parameter is not supported');
  return { constant: parameter };
}

function containsPlaceholder(value: unknown): boolean {
  if (value instanceof Placeholder) return true;
  if (Array.isArray(value)) return value.some(containsPlaceholder);
  if (value !== null && typeof value === 'object' && isPlainObject(value)) return Object.values(value).some(containsPlaceholder);
  return false;
}

function valueOf(slot: Slot, values: readonly unknown[]): unknown {
  if (typeof slot === 'number') return values[slot];
  if ('constant' in slot) return slot.constant;
  return slot.array.map((item) => valueOf(item, values));
}
