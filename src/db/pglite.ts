import { PGlite, type Transaction } from '@electric-sql/pglite'
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Db, Queryable, QueryResult } from './db.js'

export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirInUseError'
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The embedded database belongs to one process: PGlite has no locking of its own, and two processes
 * writing one data directory corrupt it. A lock file next to the directory holds the owner's pid; a
 * second process gets a clear message, a lock left by a dead process is taken over.
 */
function takeLock(dataDir: string): () => void {
  const lockPath = `${resolve(dataDir)}.lock`
  mkdirSync(dirname(lockPath), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(lockPath, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10)
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new DataDirInUseError(
          `The embedded database in ${dataDir} is in use by process ${owner} (probably the running service). ` +
            'Stop that process first, or set DATABASE_URL to a PostgreSQL server, which many processes can share.',
        )
      }
      rmSync(lockPath, { force: true }) // stale: its owner is gone
    }
  }
  throw new DataDirInUseError(`Could not take the lock ${lockPath}`)
}

function wrap(q: PGlite | Transaction): Queryable {
  return {
    async query<R>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
      const res = await q.query<R>(text, params as unknown[] | undefined)
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length }
    },
    async exec(sql: string) {
      await q.exec(sql)
    },
  }
}

/**
 * PostgreSQL's memory settings sized for what the embedded database holds (a catalog of a few MB):
 * PGlite runs PostgreSQL as WebAssembly inside this process, and the stock 128 MB of shared buffers
 * alone took the service from ~170 to ~300 MiB resident. The server's own settings are untouched.
 */
export const EMBEDDED_MEMORY_SETTINGS = [
  '-c', 'shared_buffers=16MB',
  '-c', 'wal_buffers=1MB',
  '-c', 'work_mem=2MB',
  '-c', 'maintenance_work_mem=8MB',
  '-c', 'temp_buffers=2MB',
]

/** `dataDir` = a directory, or `memory://` for a database that lives and dies with the process. */
export async function openPglite(dataDir: string): Promise<Db> {
  const inMemory = dataDir.startsWith('memory://')
  const release = inMemory ? () => {} : takeLock(dataDir)
  let db: PGlite
  try {
    if (!inMemory) mkdirSync(dataDir, { recursive: true })
    const options = { startParams: [...PGlite.defaultStartParams, ...EMBEDDED_MEMORY_SETTINGS] }
    db = inMemory ? await PGlite.create(options) : await PGlite.create(dataDir, options)
  } catch (err) {
    release()
    throw err
  }
  const base = wrap(db)
  let closed = false
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    tx: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onNotify) {
      const stop = await db.listen(channel, onNotify)
      return async () => {
        if (!closed) await stop()
      }
    },
    async ping() {
      await db.query('SELECT 1')
    },
    async close() {
      if (closed) return
      closed = true
      await db.close()
      release()
    },
  }
}
