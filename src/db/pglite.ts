import { PGlite, type Transaction } from '@electric-sql/pglite'
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import v8 from 'node:v8'
import type { Db, Queryable, QueryResult } from './db.js'

export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirInUseError'
  }
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
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
 * alone took the service from ~170 to ~300 MiB resident; 4 MB instead of 16 MB saves another ~12 MiB
 * (start-up reads the catalog once; requests never touch the database). A PostgreSQL server's own
 * settings are untouched.
 */
export const EMBEDDED_MEMORY_SETTINGS = [
  '-c', 'shared_buffers=4MB',
  '-c', 'wal_buffers=1MB',
  '-c', 'work_mem=2MB',
  '-c', 'maintenance_work_mem=8MB',
  '-c', 'temp_buffers=2MB',
]

/**
 * V8 compiles WebAssembly twice: first with its baseline compiler (Liftoff), then hot functions again
 * with its optimising compiler (TurboFan). For PostgreSQL's 9 MB module the optimised code and the
 * compiler's working memory come to about 35 MiB resident, and buy speed the service does not need:
 * the embedded database is read once at start-up and written on a refresh, while requests are answered
 * from memory. With Liftoff only, that memory is never spent, and on one core start-up is faster too
 * (nothing recompiles in the background): measured by `npm run bench`, first start 9.4 → 6.3 s and
 * start with existing data 3.2 → 1.9 s on a slow 2-core VM. The flag affects WebAssembly modules
 * compiled after it is set; PostgreSQL's is compiled by PGlite.create below.
 */
const BASELINE_WASM_ONLY = '--liftoff-only'

function useBaselineWasmCompiler(): void {
  v8.setFlagsFromString(BASELINE_WASM_ONLY)
}

const START_PARAMS = [...PGlite.defaultStartParams, ...EMBEDDED_MEMORY_SETTINGS]

/**
 * Creating a data directory (PostgreSQL's initdb, run by PGlite on its first open) peaks at about 700 MiB
 * resident, and the process keeps some 60 MiB of it afterwards (freed memory malloc does not give back).
 * So an empty or missing directory is created by a short-lived child process, and this process opens
 * it as it opens an existing one: the service's memory after a first start is the same as after any
 * other. A failed creation removes what it left, so the next start tries again from nothing.
 */
export async function createDataDirInChild(dataDir: string, startParams: readonly string[] = START_PARAMS): Promise<void> {
  const pglite = import.meta.resolve('@electric-sql/pglite')
  const script =
    `import { PGlite } from ${JSON.stringify(pglite)}\n` +
    'const db = await PGlite.create(process.argv[1], { startParams: JSON.parse(process.argv[2]) })\n' +
    'await db.close()\n'
  const args = [BASELINE_WASM_ONLY, '--input-type=module', '-e', script, dataDir, JSON.stringify(startParams)]
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000)
      })
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        if (code === 0) resolve()
        else reject(new Error(`could not create the embedded database in ${dataDir} (exit ${code ?? signal}): ${stderr.trim().slice(-500)}`))
      })
    })
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
}

const isEmptyDir = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0

/** The embedded database, with what only it can do: write its whole data directory out as a tarball. */
export interface PgliteDb extends Db {
  readonly kind: 'pglite'
  /** The data directory as an uncompressed tarball (PGlite's `dumpDataDir`) after a checkpoint, to give to `loadDataDir`. */
  dumpDataDir(): Promise<Blob>
}

export interface OpenPgliteOptions {
  /**
   * A data directory written by `dumpDataDir()` to start from, instead of creating an empty one: PGlite
   * unpacks it and runs no initdb (so neither the child process nor its memory peak). Only for a new
   * database, `memory://` or an empty directory; PGlite refuses to load over an existing one. The tests
   * load one migrated and seeded database this way into each new one (test/db-template.ts).
   */
  loadDataDir?: Blob
}

/** `dataDir` = a directory, or `memory://` for a database that lives and dies with the process. */
export async function openPglite(dataDir: string, opts: OpenPgliteOptions = {}): Promise<PgliteDb> {
  const inMemory = dataDir.startsWith('memory://')
  const release = inMemory ? () => {} : takeLock(dataDir)
  let db: PGlite
  try {
    if (!inMemory && isEmptyDir(dataDir) && !opts.loadDataDir) await createDataDirInChild(dataDir)
    useBaselineWasmCompiler()
    const options = { startParams: START_PARAMS, ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}) }
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
    async dumpDataDir() {
      // PGlite copies the files as they are: without a checkpoint first, the pages still in shared buffers
      // are missing and the copy starts by recovering from the WAL, which moves every sequence on by the
      // 32 values PostgreSQL logs ahead (the next catalog version would be 34, not 2).
      await db.exec('CHECKPOINT')
      return db.dumpDataDir('none')
    },
    async close() {
      if (closed) return
      closed = true
      await db.close()
      release()
    },
  }
}
