import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, readMigrations, MigrationError } from '../../src/db/migrate.js'
import { openPostgres } from '../../src/db/postgres.js'
import { MIGRATIONS_DIR } from '../../src/paths.js'
import { freshDatabase } from '../helper.js'

async function dirWith(t: { teardown(fn: () => unknown): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cni-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

t.test('the project migrations apply once and record themselves', async (t) => {
  const { db } = await freshDatabase(t, { empty: true })
  const migrations = await readMigrations(MIGRATIONS_DIR)
  t.ok(migrations.length >= 1)
  const first = await migrate(db, migrations)
  t.same(first, migrations.map((m) => m.version))
  t.same(await migrate(db, migrations), [], 'a second run applies nothing')
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
  t.same(rows.map((r) => r.version), first)
})

t.test('a failing migration leaves the database as it was and names its file', async (t) => {
  const { db } = await freshDatabase(t, { empty: true })
  const dir = await dirWith(t, {
    '001_ok.sql': 'CREATE TABLE a (x int);',
    '002_broken.sql': 'CREATE TABLE b (x int); INSERT INTO b VALUES (1); SELEKT nonsense;',
    '003_never.sql': 'CREATE TABLE c (x int);',
  })
  const err = await migrate(db, await readMigrations(dir)).catch((e) => e)
  t.type(err, MigrationError)
  t.equal(err.file, '002_broken.sql')
  t.match(err.message, /migrations\/002_broken\.sql failed and was rolled back/)
  const tables = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  )
  t.same(tables.rows.map((r) => r.name), ['a', 'schema_migrations'], 'b was rolled back whole, c never ran')
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations')
  t.same(rows.map((r) => r.version), [1])
})

t.test('bad migration folders are refused before anything runs', async (t) => {
  await t.rejects(readMigrations(await dirWith(t, { 'create-things.sql': 'SELECT 1' })), /name must look like 001_what_it_does\.sql/)
  await t.rejects(readMigrations(await dirWith(t, { '001_a.sql': 'SELECT 1', '001_b.sql': 'SELECT 1' })), /share version 1/)
})

t.test('a migration edited after it was applied is refused', async (t) => {
  const { db } = await freshDatabase(t, { empty: true })
  const dir = await dirWith(t, { '001_a.sql': 'CREATE TABLE a (x int);' })
  await migrate(db, await readMigrations(dir))
  await writeFile(join(dir, '001_a.sql'), 'CREATE TABLE a (x bigint);')
  await t.rejects(migrate(db, await readMigrations(dir)), /was changed after it was applied/)
})

t.test('replicas racing to migrate apply each migration exactly once', async (t) => {
  const { db, url } = await freshDatabase(t, { empty: true })
  // Each migration inserts a row: applied twice, the count would show it.
  const files: Record<string, string> = { '001_log.sql': 'CREATE TABLE applied (name text);' }
  for (let i = 2; i <= 6; i++) files[`00${i}_step.sql`] = `INSERT INTO applied VALUES ('${i}'); SELECT pg_sleep(0.05);`
  const migrations = await readMigrations(await dirWith(t, files))
  // On a server: four pools, as four replicas would have. PGlite belongs to one process, so there the
  // race is four concurrent runners in it.
  const replicas = url ? Array.from({ length: 4 }, () => openPostgres({ connectionString: url, max: 2 })) : [db, db, db, db]
  if (url) t.teardown(() => Promise.all(replicas.map((r) => r.close())))
  const results = await Promise.all(replicas.map((r) => migrate(r, migrations)))
  t.same(results.flat().sort(), [1, 2, 3, 4, 5, 6], 'every migration was applied by exactly one replica')
  const { rows } = await replicas[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM applied')
  t.equal(rows[0]!.n, 5)
})
