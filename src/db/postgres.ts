import pg from 'pg'
import type { Db, Queryable, QueryResult } from './db.js'

// numeric → string is node-postgres' default; prices are numeric, so parse them where they are read.

export interface PostgresOptions {
  connectionString: string
  max?: number
  /** Called on errors of idle clients (e.g. the server went away); the pool replaces them itself. */
  onError?: (err: Error) => void
}

export function openPostgres(opts: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  })
  // Without a listener an idle client's error (server restart) would crash the process.
  pool.on('error', (err) => opts.onError?.(err))

  const run = async <R>(client: pg.Pool | pg.PoolClient, text: string, params?: unknown[]): Promise<QueryResult<R>> => {
    const res = await client.query(text, params as unknown[] | undefined)
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 }
  }

  const listeners: Array<{ client: pg.Client | null; stopped: boolean }> = []

  return {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    async exec(sql) {
      await pool.query(sql)
    },
    async tx(fn) {
      const client = await pool.connect()
      // A checked-out client has no pool listener: the pool takes its idle-error handler off while a client
      // is lent out (pg-pool's connect), and a connection lost between two statements of the transaction is
      // emitted as 'error' on the client, which with no listener crashes the process. The statement that
      // follows fails on its own; the broken client is destroyed on release instead of going back to the pool.
      let broken: Error | undefined
      const onError = (err: Error) => {
        broken ??= err
        opts.onError?.(err)
      }
      client.on('error', onError)
      try {
        await client.query('BEGIN')
        const q: Queryable = {
          query: (text, params) => run(client, text, params),
          async exec(sql) {
            await client.query(sql)
          },
        }
        const result = await fn(q)
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          // A client that cannot roll back is in an unknown state: never lend it again.
          broken ??= rollbackErr
        })
        throw err
      } finally {
        client.off('error', onError)
        client.release(broken)
      }
    },
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`)
      // A dedicated connection outside the pool: LISTEN belongs to a session. When the server goes away
      // the connection is re-established with backoff, so notifications resume by themselves.
      const state = { client: null as pg.Client | null, stopped: false }
      listeners.push(state)
      let delay = 250
      const connect = async (): Promise<void> => {
        if (state.stopped) return
        const client = new pg.Client({ connectionString: opts.connectionString, connectionTimeoutMillis: 5000 })
        client.on('notification', (msg) => {
          if (msg.channel === channel) onNotify(msg.payload ?? '')
        })
        // Both the 'error' event and a failed connect/LISTEN may report one loss: reconnect once per client.
        let retried = false
        const retry = (err: Error) => {
          if (retried) return
          retried = true
          opts.onError?.(err)
          state.client = null
          client.removeAllListeners('error')
          client.on('error', () => {})
          client.end().catch(() => {})
          if (!state.stopped) {
            setTimeout(() => void connect(), delay).unref()
            delay = Math.min(delay * 2, 5000)
          }
        }
        client.on('error', retry)
        try {
          await client.connect()
          await client.query(`LISTEN ${channel}`)
          if (state.stopped) {
            // stop() ran while this connection was being made: it must not outlive it.
            await client.end().catch(() => {})
            return
          }
          state.client = client
          delay = 250
          // Something may have changed while we were away.
          onNotify('')
        } catch (err) {
          retry(err as Error)
        }
      }
      await connect()
      return async () => {
        state.stopped = true
        await state.client?.end().catch(() => {})
      }
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    stats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }
    },
    async close() {
      for (const l of listeners) {
        l.stopped = true
        await l.client?.end().catch(() => {})
      }
      await pool.end()
    },
  }
}
