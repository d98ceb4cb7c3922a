// Migrated and seeded once, copied for every test: the databases the test helper hands out.
//
// Migrating and loading the 1,391-type seed for every app made each test file wait seconds per database
// (and PGlite's initdb, run for every new in-memory database, about 4 s more). Instead the first test
// process that needs one builds a template, and every fresh database is a copy of it:
// - PostgreSQL: a template database, `CREATE DATABASE x TEMPLATE cni_tpl_<hash>`. Built under a
//   session advisory lock, so the two parallel tap workers build it once, under a temporary name renamed
//   when it is whole: a build killed half-way leaves no template behind (only a `_b<pid>` database,
//   removed an hour later like a stale template).
// - PGlite: two data directories dumped as tarballs (PGlite's `dumpDataDir`) into the temp directory,
//   one just initialised and one migrated and seeded; each new in-memory database loads one
//   (`loadDataDir`, no initdb). Built by one process at a time (a lock file beside them, taken over
//   when its owner died), written to a temporary file and renamed, so a reader never sees half a file.
// The name carries a hash of everything that decides the content (the migrations, the seed, the code
// that writes and copies them, the PGlite version): change any of them and the next run builds a new template.
// Templates of other hashes left for over an hour are removed when a new one is built.
import pg from 'pg'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { ensureSeeded, readSeed } from '../src/catalog/seed.js'
import type { Db } from '../src/db/db.js'
import { migrate, readMigrations } from '../src/db/migrate.js'
import { alive, openPglite } from '../src/db/pglite.js'
import { openPostgres } from '../src/db/postgres.js'
import { MIGRATIONS_DIR, ROOT, SEED_FILE } from '../src/paths.js'

/** A session advisory lock key of the tests' own, apart from the service's (src/db/db.ts ADVISORY_LOCKS). */
const TEMPLATE_LOCK = 7_279_001
const STALE_AFTER_MS = 60 * 60 * 1000

/** Files whose content decides what a migrated and seeded database holds, and how it is copied. */
const CONTENT_FILES = [
  SEED_FILE,
  join(ROOT, 'src/db/migrate.ts'),
  join(ROOT, 'src/catalog/seed.ts'),
  join(ROOT, 'src/catalog/repository.ts'),
  join(ROOT, 'src/db/pglite.ts'),
  join(ROOT, 'test/db-template.ts'),
]

let hashMemo: string | null = null
/** 16 hex digits of a SHA-256 over the migrations, the seed, the code that writes and copies them and PGlite's version. */
export function contentHash(): string {
  if (hashMemo) return hashMemo
  const h = createHash('sha256')
  const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()
  for (const file of [...migrations.map((f) => join(MIGRATIONS_DIR, f)), ...CONTENT_FILES]) {
    h.update(file.slice(ROOT.length)).update('\0').update(existsSync(file) ? readFileSync(file) : '').update('\0')
  }
  h.update(JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version)
  hashMemo = h.digest('hex').slice(0, 16)
  return hashMemo
}

/** Applies the migrations and loads the seed, as buildApp does on an empty database. */
async function migrateAndSeed(db: Db): Promise<void> {
  await migrate(db, await readMigrations(MIGRATIONS_DIR))
  await ensureSeeded(db, () => readSeed(SEED_FILE))
}

// ---- PGlite ---------------------------------------------------------------------------------------

export interface PgliteTemplates {
  /** Just initialised: no tables (for the tests of migrations and seeding). */
  empty: Blob
  /** Migrated and seeded. */
  seeded: Blob
}

const pgliteDir = () => join(tmpdir(), 'cni-advisor-test-templates')

function removeStale(dir: string, keep: (name: string) => boolean): void {
  for (const name of readdirSync(dir)) {
    if (keep(name)) continue
    const path = join(dir, name)
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { force: true })
    } catch {
      // another worker removed it first
    }
  }
}

async function buildPgliteTemplates(paths: { empty: string; seeded: string }): Promise<void> {
  // On disk, so that openPglite runs initdb in its child process, as on a first start: its ~700 MiB
  // peak stays out of the test process.
  const work = mkdtempSync(join(tmpdir(), 'cni-template-'))
  const db = await openPglite(join(work, 'pgdata'))
  try {
    const write = async (path: string) => {
      const tar = Buffer.from(await (await db.dumpDataDir()).arrayBuffer())
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
      writeFileSync(tmp, gzipSync(tar, { level: 1 }))
      renameSync(tmp, path)
    }
    await write(paths.empty)
    await migrateAndSeed(db)
    await write(paths.seeded)
  } finally {
    await db.close()
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * Runs `build` unless `done()` already holds, in one process at a time: the others wait for the
 * builder (two workers building at once on two cores would each take twice as long). A lock left by a
 * process that died is taken over.
 */
async function buildOnce(lockPath: string, done: () => boolean, build: () => Promise<void>): Promise<void> {
  while (!done()) {
    let fd: number
    try {
      fd = openSync(lockPath, 'wx')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let owner = Number.NaN
      let age = 0
      try {
        owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10)
        age = Date.now() - statSync(lockPath).mtimeMs
      } catch {
        continue // released meanwhile
      }
      // A lock file just made may not hold its pid yet: that one is waited for, a few seconds.
      if (Number.isInteger(owner) ? !alive(owner) : age > 10_000) rmSync(lockPath, { force: true })
      else await new Promise((r) => setTimeout(r, 200))
      continue
    }
    try {
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      if (!done()) await build()
    } finally {
      rmSync(lockPath, { force: true })
    }
  }
}

let pgliteMemo: Promise<PgliteTemplates> | null = null
/** The two PGlite tarballs, built by the first process that asks (per content hash) and read once per process. */
export function pgliteTemplates(): Promise<PgliteTemplates> {
  pgliteMemo ??= (async () => {
    const dir = pgliteDir()
    mkdirSync(dir, { recursive: true })
    const base = `pglite-${contentHash()}`
    const paths = { empty: join(dir, `${base}-empty.tar.gz`), seeded: join(dir, `${base}-seeded.tar.gz`) }
    const built = () => existsSync(paths.empty) && existsSync(paths.seeded)
    if (!built()) {
      await buildOnce(join(dir, `${base}.lock`), built, () => buildPgliteTemplates(paths))
      removeStale(dir, (name) => name.startsWith(base))
    }
    const read = (path: string) => new Blob([gunzipSync(readFileSync(path))])
    return { empty: read(paths.empty), seeded: read(paths.seeded) }
  })()
  pgliteMemo.catch(() => (pgliteMemo = null))
  return pgliteMemo
}

// ---- PostgreSQL -----------------------------------------------------------------------------------

/** The URL of database `name` on the server of `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropTemplate(admin: pg.Client, name: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`)
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
}

const pgMemo = new Map<string, Promise<string>>()
/**
 * The name of the migrated and seeded template database on the server of `serverUrl`, built if missing.
 * `recheck`: look on the server again instead of trusting what this process found before.
 */
export function postgresTemplate(serverUrl: string, recheck = false): Promise<string> {
  if (recheck) pgMemo.delete(serverUrl)
  let memo = pgMemo.get(serverUrl)
  if (!memo) {
    memo = ensurePostgresTemplate(serverUrl)
    pgMemo.set(serverUrl, memo)
    memo.catch(() => pgMemo.delete(serverUrl))
  }
  return memo
}

async function ensurePostgresTemplate(serverUrl: string): Promise<string> {
  const name = `cni_tpl_${contentHash()}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    // The other worker of this run may be building it: wait for it, then find it built. (Advisory locks
    // belong to one database; a run on another DATABASE_URL builds beside this one, under its own name.)
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK])
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (found.rowCount) return name
    const building = `${name}_b${process.pid}_${randomBytes(3).toString('hex')}`
    await admin.query(`CREATE DATABASE ${building}`)
    await admin.query(`COMMENT ON DATABASE ${building} IS 'cni-advisor test template, built ${new Date().toISOString()}'`)
    try {
      const db = openPostgres({ connectionString: databaseUrl(serverUrl, building), max: 2 })
      try {
        await migrateAndSeed(db)
      } finally {
        await db.close()
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`)
    } catch (err) {
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`).catch(() => {})
      // 42P04: a run on another database of this server finished the same template first.
      if ((err as { code?: string }).code === '42P04') return name
      throw err
    }
    // A template nobody connects to: CREATE DATABASE ... TEMPLATE refuses a source with sessions on it.
    await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`)
    const others = await admin.query<{ datname: string; note: string | null }>(
      "SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname LIKE 'cni\\_tpl\\_%' AND datname <> $1",
      [name],
    )
    for (const other of others.rows) {
      const built = Date.parse(/built (\S+)$/.exec(other.note ?? '')?.[1] ?? '')
      if (Number.isNaN(built) || Date.now() - built > STALE_AFTER_MS) await dropTemplate(admin, other.datname).catch(() => {})
    }
    return name
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => {})
    await admin.end()
  }
}
