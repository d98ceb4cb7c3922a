import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createDataDirInChild, openPglite, DataDirInUseError } from '../../src/db/pglite.js'
import { pgliteTemplates } from '../db-template.js'
import { backend, freshDatabase } from '../helper.js'

t.test(`the database interface on ${backend}`, async (t) => {
  const { db } = await freshDatabase(t)
  t.equal(db.kind, backend)
  await db.exec('CREATE TABLE things (id int PRIMARY KEY, price numeric(10,4), at timestamptz, tags jsonb); CREATE INDEX ON things (price)')

  const ins = await db.query('INSERT INTO things VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)', [1, '0.096', new Date(0), '{"a":1}', 2, 1.5, null, null])
  t.equal(ins.rowCount, 2, 'rowCount counts affected rows')
  const { rows } = await db.query<{ id: number; price: string; at: Date | null; tags: unknown }>('SELECT * FROM things ORDER BY id')
  t.equal(rows[0]!.id, 1)
  t.equal(Number(rows[0]!.price), 0.096, 'numeric comes back exact (as a string)')
  t.type(rows[0]!.at, Date)
  t.same(rows[0]!.tags, { a: 1 })

  const fromTx = await db.tx(async (q) => {
    await q.query('UPDATE things SET price = $1 WHERE id = 1', ['2'])
    return (await q.query<{ price: string }>('SELECT price FROM things WHERE id = 1')).rows[0]!.price
  })
  t.equal(Number(fromTx), 2, 'a transaction sees its own writes and returns its value')

  await t.rejects(
    db.tx(async (q) => {
      await q.query('UPDATE things SET price = 99 WHERE id = 1')
      throw new Error('changed my mind')
    }),
    /changed my mind/,
  )
  const after = await db.query<{ price: string }>('SELECT price FROM things WHERE id = 1')
  t.equal(Number(after.rows[0]!.price), 2, 'a transaction that throws is rolled back')

  const err = await db.query('SELECT * FROM missing_table').catch((e) => e)
  t.equal(err.code, '42P01', 'errors carry the SQLSTATE')

  const got: string[] = []
  const stop = await db.listen('things_changed', (p) => got.push(p))
  await db.tx((q) => q.query("SELECT pg_notify('things_changed', 'v2')"))
  for (let i = 0; i < 50 && !got.includes('v2'); i++) await new Promise((r) => setTimeout(r, 20))
  t.ok(got.includes('v2'), 'a notification sent by a committed transaction arrives')
  await stop()
  await db.ping()
})

t.test('the embedded data directory belongs to one process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cni-pglite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'pgdata')
  // Made from the dumped empty data directory (test/db-template.ts): creating one is the last test's subject.
  const first = await openPglite(dataDir, { loadDataDir: (await pgliteTemplates()).empty })
  await first.exec('CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)')

  // A second process gets a clear message and does not touch the files.
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `import('${new URL('../../src/db/pglite.ts', import.meta.url).href}').then(m => m.openPglite(${JSON.stringify(dataDir)})).then(() => { console.log('opened'); process.exit(0) }, e => { console.log(e.name + ': ' + e.message); process.exit(3) })`],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: process.execArgv.join(' ') } },
  )
  t.equal(child.status, 3, child.stderr)
  t.match(child.stdout, /DataDirInUseError: The embedded database in .* is in use by process \d+/)

  await first.close()
  const again = await openPglite(dataDir)
  t.same((await again.query('SELECT x FROM kept')).rows, [{ x: 7 }], 'data survives a clean close and reopen')
  await again.close()
})

t.test('a lock left by a dead process is taken over; a live owner is refused in-process too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cni-pglite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'pgdata')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(`${dataDir}.lock`, '999999999\n')
  const db = await openPglite(dataDir, { loadDataDir: (await pgliteTemplates()).empty })
  t.pass('stale lock taken over')
  writeFileSync(`${dataDir}.lock`, `${process.ppid}\n`)
  await t.rejects(openPglite(dataDir), DataDirInUseError)
  writeFileSync(`${dataDir}.lock`, `${process.pid}\n`)
  await db.close()
})

t.test('the embedded database runs with memory settings sized for the catalog', async (t) => {
  const db = await openPglite('memory://')
  t.teardown(() => db.close())
  const { rows } = await db.query<{ shared_buffers: string }>('SHOW shared_buffers')
  t.equal(rows[0]!.shared_buffers, '4MB')
})

t.test('a new data directory is created by a child process; a failed creation leaves nothing behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cni-pglite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'pgdata')
  await createDataDirInChild(dataDir)
  t.ok(existsSync(join(dataDir, 'PG_VERSION')), 'initdb ran in the child')
  const db = await openPglite(dataDir)
  const { rows } = await db.query<{ shared_buffers: string }>('SHOW shared_buffers')
  t.equal(rows[0]!.shared_buffers, '4MB', 'and this process opens it with the embedded settings')
  await db.close()

  const broken = join(dir, 'broken')
  await t.rejects(createDataDirInChild(broken, ['-c', 'shared_buffers=not-a-size']), /could not create the embedded database in .*broken \(exit 1\)/)
  t.notOk(existsSync(broken), 'the half-made directory is removed, so the next start begins again')
})
