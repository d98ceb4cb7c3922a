import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ADVISORY_LOCKS, type Db } from './db.js'

export interface Migration {
  version: number
  name: string
  file: string
  sql: string
  checksum: string
}

export class MigrationError extends Error {
  readonly file: string
  constructor(file: string, message: string) {
    super(message)
    this.name = 'MigrationError'
    this.file = file
  }
}

const FILE_NAME = /^(\d{3,})_([a-z0-9][a-z0-9_-]*)\.sql$/

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const seen = new Map<number, string>()
  const out: Migration[] = []
  for (const file of files) {
    const m = FILE_NAME.exec(file)
    if (!m) throw new MigrationError(file, `migrations/${file}: name must look like 001_what_it_does.sql`)
    const version = Number(m[1])
    const other = seen.get(version)
    if (other) throw new MigrationError(file, `migrations/${file} and migrations/${other} share version ${version}`)
    seen.set(version, file)
    const sql = await readFile(join(dir, file), 'utf8')
    out.push({ version, name: m[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  return out
}

/**
 * Applies every migration not yet recorded, each in its own transaction that first takes a
 * transaction-scoped advisory lock: replicas starting at once queue on the lock, and each one
 * re-checks the record after getting it, so every migration runs exactly once. A failing migration
 * rolls back whole and stops the run with an error naming its file.
 */
export async function migrate(db: Db, migrations: Migration[], log?: (msg: string) => void): Promise<number[]> {
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrations])
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
  })
  const applied: number[] = []
  for (const m of migrations) {
    const ran = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrations])
      const { rows } = await q.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [m.version])
      if (rows[0]) {
        if (rows[0].checksum !== m.checksum) {
          throw new MigrationError(
            m.file,
            `migrations/${m.file} was changed after it was applied (checksum differs); add a new migration instead`,
          )
        }
        return false
      }
      try {
        await q.exec(m.sql)
      } catch (err) {
        throw new MigrationError(m.file, `migrations/${m.file} failed and was rolled back: ${(err as Error).message}`)
      }
      await q.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum])
      return true
    })
    if (ran) {
      applied.push(m.version)
      log?.(`applied migrations/${m.file}`)
    }
  }
  return applied
}
