// The databases the test helper hands out (test/db-template.ts): a fresh one is already migrated and
// seeded, so the app started on it applies no migration and loads no seed; each is a copy of its own;
// an empty one is empty, and the app migrates and seeds it as on a first start.
import t from 'tap'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/app.js'
import { readSeed } from '../../src/catalog/seed.js'
import { readMigrations } from '../../src/db/migrate.js'
import { MIGRATIONS_DIR, SEED_FILE } from '../../src/paths.js'
import { backend, freshDatabase, testConfig } from '../helper.js'

/** A logger for buildApp that keeps every line's message. */
function capture(): { logger: object; messages: string[] } {
  const messages: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) messages.push(String((JSON.parse(line) as { msg?: unknown }).msg))
      done()
    },
  })
  return { logger: { level: 'info', stream }, messages }
}

const seed = await readSeed(SEED_FILE)
const migrations = await readMigrations(MIGRATIONS_DIR)

t.test(`a fresh database on ${backend} is migrated and seeded: the app applies nothing and loads no seed`, async (t) => {
  const { db } = await freshDatabase(t)
  const applied = await db.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version')
  t.same(
    applied.rows.map((r) => [Number(r.version), r.checksum]),
    migrations.map((m) => [m.version, m.checksum]),
    'every migration of the tree is recorded, with its current checksum',
  )
  const versions = await db.query<{ source: string; instance_types: number }>('SELECT source, instance_types FROM catalog_versions')
  t.same(versions.rows.map((r) => [r.source, Number(r.instance_types)]), [['seed', seed.instanceTypes.length]], 'one catalog version: the seed')
  const next = await db.query<{ v: string }>("SELECT nextval(pg_get_serial_sequence('catalog_versions', 'version'))::text AS v")
  t.equal(next.rows[0]!.v, '2', 'and the next version will be 2: the copy is consistent, sequences included')

  const { logger, messages } = capture()
  const app = await buildApp(testConfig({ LOG_LEVEL: 'info' }), { logger, db })
  t.teardown(() => app.close())
  t.same(messages.filter((m) => m.startsWith('applied migrations/')), [], 'no migration applied')
  t.notOk(messages.includes('catalog seeded'), 'the seed is not loaded again')
  t.equal(app.ctx.catalog.current().version, 1)
  t.equal((await app.inject('/v1/instance-types/m5.large/max-pods')).statusCode, 200, 'and the app answers from it')
})

t.test('each fresh database is a copy of its own', async (t) => {
  const [a, b] = await Promise.all([freshDatabase(t), freshDatabase(t)])
  const countPrices = async (db: typeof a.db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM prices')).rows[0]!.n
  const seeded = await countPrices(a.db)
  t.ok(seeded >= seed.prices.length, `the seed's prices are there (${seeded})`)
  await a.db.query('DELETE FROM prices')
  await a.db.exec('CREATE TABLE only_in_a (x int)')
  t.equal(await countPrices(a.db), 0)
  t.equal(await countPrices(b.db), seeded, 'the other one keeps every price')
  const table = await b.db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'only_in_a'")
  t.equal(table.rowCount, 0, 'and has no table made in the first')
  const again = await freshDatabase(t)
  t.equal(await countPrices(again.db), seeded, 'a later one is whole too')
})

t.test('an empty database has no tables; the app migrates and seeds it', async (t) => {
  const { db } = await freshDatabase(t, { empty: true })
  const tables = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
  t.same(tables.rows, [], 'no tables')

  const { logger, messages } = capture()
  const app = await buildApp(testConfig({ LOG_LEVEL: 'info' }), { logger, db })
  t.teardown(() => app.close())
  t.same(messages.filter((m) => m.startsWith('applied migrations/')), migrations.map((m) => `applied migrations/${m.file}`), 'every migration applied')
  t.ok(messages.includes('catalog seeded'), 'the seed loaded')
  t.equal(app.ctx.catalog.current().typeList.length, seed.instanceTypes.length)
})
