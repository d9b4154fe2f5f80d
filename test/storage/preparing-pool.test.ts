import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { preparingPool } from '../../src/storage/connect.ts';

// A PostgreSQL connection is checked out of the pool for every statement. Its query was wrapped
// (to run named prepared statements) on every checkout, one wrapper over the last: after about
// 9,500 checkouts of one connection every query on it failed with a stack overflow.
describe.runIf(process.env.TEST_DATABASE_URL)('the PostgreSQL pool', () => {
  it('wraps a connection once, however often it is checked out, and still prepares its statements', async () => {
    const pool = preparingPool(new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 }));
    try {
      const first = await pool.connect();
      const query = first.query;
      first.release();
      for (let i = 0; i < 3; i += 1) {
        const again = await pool.connect();
        try {
          expect(again).toBe(first);
          expect(again.query).toBe(query);
          await again.query('select 1 as one');
        } finally {
          again.release();
        }
      }
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ statement: string }>('select statement from pg_prepared_statements');
        expect(rows.map((r) => r.statement)).toContain('select 1 as one');
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});
