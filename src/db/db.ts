// One small database interface, two implementations: node-postgres (a server, DATABASE_URL set) and
// PGlite (embedded, the default). Everything above this layer speaks plain parametrised SQL through it.

export interface QueryResult<R> {
  rows: R[]
  rowCount: number
}

export interface Queryable {
  /** One statement, `$1..$n` parameters. */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<R>>
  /** A script of several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>
  /** LISTEN on a channel; the returned function stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  /** Health probe: resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
  /** Connection pool usage (node-postgres: pg.Pool's totalCount/idleCount/waitingCount); PGlite has no pool. */
  stats?(): { total: number; idle: number; waiting: number }
}

/** Fixed keys for `pg_advisory_xact_lock`, one per kind of exclusive work. */
export const ADVISORY_LOCKS = {
  migrations: 7_270_001,
  catalogWrite: 7_270_002,
  refresh: 7_270_003,
} as const
