/**
 * The yardstick of an authenticated request (issue 16): a bare Fastify 5 route doing one
 * primary-key select on the bench's own database, with a response schema, and nothing else (no
 * log, no cookie, no session, no headers of keyward's). bench/http.ts starts it as a child process
 * on the same database as keyward's server (PostgreSQL: a pool of 2 as keyward's, the statement
 * prepared as keyward prepares its lookups; PGlite: the same data dir, while keyward's server is
 * not running) and charges GET /api/v1/me against it.
 *
 *   BARE_PORT=… BARE_DATABASE_URL=postgres://… node bench/bare-server.mjs
 *   BARE_PORT=… BARE_PGLITE_DIR=<KEYWARD_DATA_DIR> node bench/bare-server.mjs
 *
 * Plain JavaScript on purpose: it runs as `node` runs keyward's compiled server, with no loader.
 */
import path from 'node:path';
import Fastify from 'fastify';

const SELECT = 'select "id", "email", "name", "role" from "users" where "id" = $1';
const { BARE_DATABASE_URL, BARE_PGLITE_DIR, BARE_PORT } = process.env;

let select;
let close;
if (BARE_DATABASE_URL) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: BARE_DATABASE_URL, max: 2 });
  select = async (id) => (await pool.query({ name: 'bare_user', text: SELECT, values: [id] })).rows[0];
  close = () => pool.end();
} else {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const db = await PGlite.create(path.join(BARE_PGLITE_DIR, 'pgdata'), { extensions: { pg_trgm } });
  select = async (id) => (await db.query(SELECT, [id])).rows[0];
  close = () => db.close();
}

const app = Fastify();
app.get(
  '/bare/:id',
  {
    schema: {
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      response: {
        200: {
          type: 'object',
          properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
        },
      },
    },
  },
  async (request, reply) => {
    const row = await select(request.params.id);
    if (!row) return reply.code(404).send();
    return row;
  },
);
await app.listen({ host: '127.0.0.1', port: Number(BARE_PORT) });
process.stderr.write('bare server listening\n');
process.once('SIGTERM', async () => {
  await app.close();
  await close();
  process.exit(0);
});
