/**
 * A Kysely dialect for PGlite (embedded PostgreSQL). PGlite is one connection, so connections are
 * handed out one at a time: a transaction holds it until commit, and other queries wait their
 * turn instead of interleaving inside someone else's transaction.
 */
import { messages, protocol, type PGlite } from '@electric-sql/pglite';
import { preparable } from './prepared.ts';
import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

export class PgliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteDriver(this.pglite);
  }
  // Kysely's Dialect interface: the introspector works on any schema.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PgliteDriver implements Driver {
  private queue: Promise<void> = Promise.resolve();
  private readonly connection: PgliteConnection;
  private readonly releasers = new Map<DatabaseConnection, () => void>();

  constructor(pglite: PGlite) {
    this.connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.queue;
    this.queue = previous.then(() => turn);
    await previous;
    this.releasers.set(this.connection, release);
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).control('begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).control('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).control('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.releasers.get(connection);
    this.releasers.delete(connection);
    release?.();
  }

  async destroy(): Promise<void> {
    await this.queue;
  }
}

/** What PostgreSQL told about a prepared statement: its parameters' types and its columns. */
interface PreparedStatement {
  name: string;
  /** The serializer of each parameter, by the type PostgreSQL inferred for it. */
  serializers: ((value: unknown) => string | Uint8Array | null)[];
  /** Each result column's name and parser; empty for a statement that returns no rows. */
  columns: { name: string; parse: (text: string) => unknown }[];
}

/**
 * Statements kept prepared at once (least recently used dropped first, with Close). Why bounded:
 * each holds a parse tree and plan in the WASM heap, which never shrinks, and texts that are not
 * repeated (an `in` list of every length) must not grow it. The login path uses about 20.
 */
const MAX_PREPARED = 200;

const { serialize } = protocol;
const SYNC = serialize.sync();
const EXECUTE = serialize.execute();

/**
 * Runs every query, DML or select, as a named prepared statement, each exchange one message to
 * PGlite. Why: PGlite's `query()` sends Parse, Describe, Bind, Describe, Execute and Sync as six
 * separate calls into the WASM engine, with an unnamed statement that PostgreSQL parses and plans
 * again on every call; a full login's ~20 statements cost 26 ms of the main thread on PGlite
 * against 6.6 ms with PostgreSQL (bench/http.ts, BENCH_THREADS=1), about half of it in WASM.
 * Here a statement's text is parsed once (Parse + Describe + Sync), and each run after that is
 * Bind + Execute + Sync in one call, with its parameters serialised and its columns parsed as
 * `query()` does (PGlite's own serializers and parsers, by the types PostgreSQL described).
 * Prepared statements belong to the session, not to a transaction: a rollback keeps them.
 */
class PgliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, PreparedStatement>();
  private nextName = 0;

  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!preparable(query.sql)) return this.unnamed<R>(query);
    // PGlite's query mutex: two exchanges must not interleave (Kysely may run queries of one
    // connection concurrently, and execProtocolStream keeps its replies in one field).
    return this.pglite._runExclusiveQuery(async () => {
      const statement = this.statements.get(query.sql) ?? (await this.prepare(query));
      // Most recently used last: the first key is the one to drop.
      this.statements.delete(query.sql);
      this.statements.set(query.sql, statement);
      return this.run<R>(statement, query);
    });
  }

  /** Transaction control: the simple protocol, one call (no parameters, no rows). */
  async control(sql: 'begin' | 'commit' | 'rollback'): Promise<void> {
    await this.pglite._runExclusiveQuery(() => this.exchange(serialize.query(sql), sql, []));
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite does not support streaming queries');
  }

  private async unnamed<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(query.sql, [...query.parameters]);
    const affected = result.affectedRows;
    return {
      rows: result.rows,
      ...(affected !== undefined ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }

  private async prepare(query: CompiledQuery): Promise<PreparedStatement> {
    const parts: Uint8Array[] = [];
    if (this.statements.size >= MAX_PREPARED) {
      const [oldest, dropped] = this.statements.entries().next().value!;
      this.statements.delete(oldest);
      parts.push(serialize.close({ type: 'S', name: dropped.name }));
    }
    const name = `kw${(this.nextName += 1)}`;
    parts.push(serialize.parse({ name, text: query.sql }), serialize.describe({ type: 'S', name }), SYNC);
    const replies = await this.exchange(concat(parts), query.sql, query.parameters);
    const { serializers, parsers } = this.pglite;
    let parameterTypes: number[] = [];
    let fields: { name: string; dataTypeID: number }[] = [];
    for (const reply of replies) {
      if (reply.name === 'parameterDescription') parameterTypes = (reply as messages.ParameterDescriptionMessage).dataTypeIDs;
      else if (reply.name === 'rowDescription') fields = (reply as messages.RowDescriptionMessage).fields;
    }
    return {
      name,
      serializers: parameterTypes.map((oid) => {
        const serializer = serializers[oid];
        return (value: unknown) => (value === null || value === undefined ? null : serializer ? serializer(value) : asText(value));
      }),
      columns: fields.map(({ name: column, dataTypeID }) => {
        const parser = parsers[dataTypeID];
        return { name: column, parse: parser ? (text: string): unknown => parser(text, dataTypeID) : (text: string) => text };
      }),
    };
  }

  private async run<R>(statement: PreparedStatement, query: CompiledQuery): Promise<QueryResult<R>> {
    const values = query.parameters.map((value, i) => {
      const serializer = statement.serializers[i];
      return serializer ? serializer(value) : value === null || value === undefined ? null : asText(value);
    });
    let replies: messages.BackendMessage[];
    try {
      replies = await this.exchange(
        concat([serialize.bind({ statement: statement.name, values }), EXECUTE, SYNC]),
        query.sql,
        query.parameters,
      );
    } catch (error) {
      // A table altered under a prepared select (0A000, "cached plan must not change result
      // type"): prepared again on the next call.
      if ((error as { code?: unknown }).code === '0A000' && this.statements.get(query.sql) === statement) {
        this.statements.delete(query.sql);
        await this.exchange(concat([serialize.close({ type: 'S', name: statement.name }), SYNC]), query.sql, []);
      }
      throw error;
    }
    const { columns } = statement;
    const rows: Record<string, unknown>[] = [];
    let affected = 0;
    for (const reply of replies) {
      if (reply.name === 'dataRow') {
        const { fields } = reply as messages.DataRowMessage;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i += 1) {
          const text = fields[i];
          row[columns[i]!.name] = text === null || text === undefined ? null : columns[i]!.parse(text);
        }
        rows.push(row);
      } else if (reply.name === 'commandComplete') {
        // As PGlite's parseResults: the count of the tags that carry one ("INSERT 0 1", "UPDATE 3").
        const words = (reply as messages.CommandCompleteMessage).text.split(' ');
        if (AFFECTING.has(words[0]!)) affected += Number.parseInt(words[words.length - 1]!, 10) || 0;
      }
    }
    return { rows: rows as R[], numAffectedRows: BigInt(affected) };
  }

  /** One message to PostgreSQL in PGlite and its replies; a database error is thrown as `query()` throws it. */
  private async exchange(message: Uint8Array, sql: string, parameters: readonly unknown[]): Promise<messages.BackendMessage[]> {
    try {
      return await this.pglite.execProtocolStream(message, { syncToFs: true });
    } catch (error) {
      if (error instanceof messages.DatabaseError) Object.assign(error, { query: sql, params: [...parameters] });
      throw error;
    }
  }
}

/** A parameter of a type PGlite has no serializer for, as `query()` sends it: its toString(). */
function asText(value: unknown): string {
  return (value as { toString(): string }).toString();
}

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE']);

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const message = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}
