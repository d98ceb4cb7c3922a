// A connection lost in the middle of a transaction, on a PostgreSQL server (DATABASE_URL): node-postgres
// emits 'error' on a checked-out client that loses its connection between two statements, and the pool has
// no listener on a client it has lent out. The transaction must fail as an error, the process must live on,
// and the broken connection must not be lent again.
import t from 'tap'
import pg from 'pg'
import { openPostgres } from '../../src/db/postgres.js'

const url = process.env.DATABASE_URL
t.test('a connection lost between two statements of a transaction fails that transaction only', { skip: url ? false : 'needs a PostgreSQL server (DATABASE_URL)' }, async (t) => {
  const errors: Error[] = []
  // One connection only: if the broken one went back to the pool, the next query would fail on it.
  const db = openPostgres({ connectionString: url!, max: 1, onError: (e) => errors.push(e) })
  t.teardown(() => db.close())
  const killer = new pg.Client({ connectionString: url })
  await killer.connect()
  t.teardown(() => killer.end())

  const failed = await db
    .tx(async (q) => {
      const pid = (await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      await killer.query('SELECT pg_terminate_backend($1)', [pid])
      // The server's goodbye arrives while no statement runs: the 'error' of an idle, lent-out client.
      for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      await q.query('SELECT 1')
      return 'committed'
    })
    .then(
      () => null,
      (e: Error) => e,
    )
  t.ok(failed instanceof Error, 'the transaction rejects')
  t.ok(errors.length >= 1, 'the loss is reported through onError, not thrown as an uncaught error')
  t.same((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }], 'the next query gets a new connection')
  t.same(db.stats?.(), { total: 1, idle: 1, waiting: 0 }, 'one connection, the new one, back in the pool')
})
