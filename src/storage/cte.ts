/**
 * Parts of the login steps' one-statement writes (auth-session-store.ts), each a CTE body built
 * with Kysely's typed builder. A part written only when an earlier CTE of the same statement
 * returned a row names that CTE as `qb.selectFrom('consumed')`, built with the `with()` chain's own
 * query creator: a misspelt or missing CTE does not compile, as a CTE name in a string did. Every
 * such gate returns at most one row (a row changed by id or key), so "from the gate" and "exists
 * in the gate" write the same rows.
 */
import { expressionBuilder, type Expression, type Insertable, type QueryCreator, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from './schema.ts';

/** A CTE of the statement, as `qb.selectFrom(name)` of its `with()` chain. */
export type Cte = SelectQueryBuilder<Database, never, object>;

const eb = expressionBuilder<Database>();

/** The SQL types insertRows casts to (the columns that are not text). */
type CastType = 'timestamptz' | 'jsonb' | 'boolean' | 'bigint';

/** `exists (select 1 from <cte>)`: the CTE returned a row. */
export function returnedRow(cte: Cte): Expression<SqlBool> {
  return eb.exists(cte.select(eb.lit(1).as('one')));
}

/** A part with nothing to write (`select 1 where false`), where the statement's shape keeps a CTE. */
export function nothing(qb: QueryCreator<Database>) {
  return qb.selectNoFrom(eb.lit(1).as('one')).where(eb.lit(false));
}

/**
 * `insert into <table> (…)` of one row of schema.ts's Insertable type: `values (…)`, or with
 * `gate`, `select <row> from <gate>`, so the row exists only when the gate returned one.
 */
export function insertRow<T extends keyof Database>(qb: QueryCreator<Database>, table: T, row: Insertable<Database[T]>, gate: Cte | null) {
  const insert = qb.insertInto(table);
  if (!gate) return insert.values(row);
  const entries = defined(row);
  return insert.columns(entries.map(([column]) => column) as never).expression(gate.select(entries.map(([c, v]) => eb.val(v).as(c))));
}

/**
 * As insertRow for any number of rows (none: nothing): with `gate`, one `select … from <gate>` per
 * row joined by `union all`. Why `types`: a parameter takes its type from the target column only
 * in a lone SELECT; across `union all` PostgreSQL resolves an untyped one to text, so each
 * column that is not text is cast to the type named here.
 */
export function insertRows<T extends keyof Database>(
  qb: QueryCreator<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  gate: Cte | null,
  types: { readonly [C in keyof Database[T]]?: CastType },
) {
  const [first, ...more] = rows;
  if (!first) return nothing(qb);
  const insert = qb.insertInto(table);
  if (!gate) return insert.values(rows);
  const columns = defined(first).map(([column]) => column);
  const select = (row: Insertable<Database[T]>) =>
    gate.select(
      columns.map((column) => {
        const value = eb.val((row as Record<string, unknown>)[column] ?? null);
        const type = (types as Record<string, CastType | undefined>)[column];
        return (type ? eb.cast(value, type) : value).as(column);
      }),
    );
  const union = more.reduce((all, row) => all.unionAll(select(row)), select(first));
  return insert.columns(columns as never).expression(union);
}

/** The row's columns with a value, as Kysely's `values()` takes them (undefined: the column's default). */
function defined(row: object): [string, unknown][] {
  return Object.entries(row).filter(([, value]) => value !== undefined);
}
