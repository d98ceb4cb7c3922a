// The refresh CLI killed with SIGKILL half-way, once while it waits for AWS and once inside its write
// transaction (after it deleted and re-inserted the catalog rows, before COMMIT): the catalog must be
// exactly as before, the runs it left 'running' are closed once their heartbeat is stale, and the next
// refresh must work. Needs a PostgreSQL server (DATABASE_URL): only a server lets this test watch the
// CLI's session from outside and hold it at a precise point.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { listRefreshRuns, RUN_STALE_AFTER_MS } from '../../src/catalog/refresh.js'
import { ensureSeeded, type SeedFile } from '../../src/catalog/seed.js'
import { migrate, readMigrations } from '../../src/db/migrate.js'
import { openPostgres } from '../../src/db/postgres.js'
import { instanceTypeXml } from '../fakes/aws-fixtures.js'
import { MIGRATIONS_DIR } from '../../src/paths.js'
import { productJson, startFakeAws, storageProductJson } from '../fakes/fake-aws.js'
import { backend, freshDatabase } from '../helper.js'

const CLI = fileURLToPath(new URL('../../scripts/refresh.ts', import.meta.url))
const APP_NAME = 'cni-refresh-kill-test'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The TypeScript loader tap runs this file with, for the child (coverage and mocks left out). */
function loaderArgs(): string[] {
  const ts = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps')
  return ts.length > 0 ? ts : process.execArgv
}

interface Cli {
  child: ChildProcess
  output: () => string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function runCli(env: Record<string, string>): Cli {
  const child = spawn(process.execPath, [...loaderArgs(), CLI, '--regions', 'us-east-1'], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      PGAPPNAME: APP_NAME,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, output: () => out, exit }
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

if (backend !== 'postgres') {
  t.plan(0, 'skipped: needs DATABASE_URL (a PostgreSQL server) to watch and hold the refresh CLI session from outside; PGlite belongs to one process')
} else {
  const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as SeedFile

  /** What AWS would answer for the seed: every type, every us-east-1 price 3 % up (so a refresh changes rows). */
  const typeXml = instanceTypeXml

  t.test('a refresh killed half-way leaves the catalog exactly as it was', async (t) => {
    const { db, url } = await freshDatabase(t)
    await migrate(db, await readMigrations(MIGRATIONS_DIR))
    await ensureSeeded(db, seed)

    const watcher = new pg.Client({ connectionString: url! })
    await watcher.connect()
    const holder = new pg.Client({ connectionString: url! })
    await holder.connect()
    const children: ChildProcess[] = []
    t.teardown(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await holder.end().catch(() => {})
      await watcher.end().catch(() => {})
    })

    /** Everything a refresh could change, as one comparable value. */
    const state = async () => {
      const { rows } = await watcher.query<Record<string, string>>(`SELECT
        (SELECT max(version)::text FROM catalog_versions) AS version,
        (SELECT count(*)::text FROM catalog_versions) AS versions,
        (SELECT count(*)::text FROM instance_types) AS types,
        (SELECT count(*)::text FROM prices) AS prices,
        (SELECT md5(string_agg(t::text, '|' ORDER BY name)) FROM instance_types t) AS types_md5,
        (SELECT md5(string_agg(p::text, '|' ORDER BY region, instance_type)) FROM prices p) AS prices_md5`)
      return rows[0]!
    }
    const latestRun = async () =>
      (await watcher.query<{ id: string; status: string; finished_at: Date | null; error: string | null; owner: string | null }>(
        'SELECT id, status, finished_at, error, owner FROM refresh_runs ORDER BY id DESC LIMIT 1',
      )).rows[0]
    /** A killed process writes no more heartbeats: make its run's last one as old as RUN_STALE_AFTER_MS
     * would make it (rather than wait that long). */
    const ageHeartbeat = (id: string) =>
      watcher.query("UPDATE refresh_runs SET heartbeat_at = heartbeat_at - $1::double precision * interval '1 millisecond' WHERE id = $2", [
        RUN_STALE_AFTER_MS + 1000,
        id,
      ])
    const backendOf = async () =>
      (await watcher.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [APP_NAME])).rows
    const gone = (pids: number[]) =>
      waitFor('the killed CLI session to end on the server', async () => {
        const { rows } = await watcher.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])
        return rows[0]!.n === 0
      }, 15_000)

    const before = await state()
    t.equal(before.versions, '1', 'the seed is the only version')

    // ---------------------------------------------------------------- 1. killed while waiting for AWS
    await t.test('SIGKILL while fetching from AWS', async (t) => {
      const seen: string[] = []
      const hanging = createServer((req: IncomingMessage) => {
        seen.push(String(req.headers['x-amz-target'] ?? req.url)) // never answered
      })
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
      t.teardown(() => {
        hanging.closeAllConnections()
        return new Promise<void>((r) => hanging.close(() => r()))
      })
      const cli = runCli({ DATABASE_URL: url!, AWS_ENDPOINT_URL: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` })
      children.push(cli.child)
      await waitFor('the CLI to call AWS', async () => seen.length > 0, 30_000).catch((err) => {
        throw new Error(`${(err as Error).message}; CLI output: ${cli.output()}`)
      })
      const run = await latestRun()
      t.equal(run?.status, 'running', 'the run was recorded before AWS was called')
      const pids = (await backendOf()).map((r) => r.pid)
      cli.child.kill('SIGKILL')
      t.same(await cli.exit, { code: null, signal: 'SIGKILL' }, 'the CLI died by SIGKILL')
      await gone(pids)

      t.same(await state(), before, 'catalog version, rows and their contents are unchanged')
      const after = await latestRun()
      t.equal(after?.id, run?.id)
      t.match(after, { status: 'running', finished_at: null, error: null }, 'the run row stays "running": nobody is left to finish it')
      t.match(after?.owner, new RegExp(` pid ${cli.child.pid} #[0-9a-f]{8}$`), 'and names the process that ran it')

      // Its heartbeat stops: once it is stale, whoever lists the runs closes it.
      await ageHeartbeat(after!.id)
      const db = openPostgres({ connectionString: url! })
      t.teardown(() => db.close())
      const [listed] = await listRefreshRuns(db, 1)
      t.match(listed, { id: Number(after!.id), status: 'failed', error: `abandoned: its process (${after!.owner}) is gone; nothing was written` })
      t.ok(listed?.finishedAt)
      t.same(await state(), before, 'and the catalog is still as it was')
    })

    // ---------------------------------------------------------------- 2. killed inside the write transaction
    await t.test('SIGKILL inside the write transaction, before COMMIT', async (t) => {
      const fake = await startFakeAws({
        instanceTypes: seed.instanceTypes.map(typeXml),
        products: [
          ...seed.prices.filter((p) => p.region === 'us-east-1').map((p) => productJson(p.instanceType, (Math.round(p.usdPerHour * 1.03 * 1e6) / 1e6).toFixed(6))),
          storageProductJson('us-east-1', '0.08'), // the seed's gp3 price: without it the refresh would be refused
        ],
      })
      t.teardown(() => fake.close())

      // Hold the refresh at its last write: new catalog versions cannot be inserted while this lock is held.
      await holder.query('BEGIN')
      await holder.query('LOCK TABLE catalog_versions IN SHARE MODE')
      const cli = runCli({ DATABASE_URL: url!, AWS_ENDPOINT_URL: fake.url })
      children.push(cli.child)
      const blocked = await waitFor(
        'the CLI to block on INSERT INTO catalog_versions',
        async () => {
          if (cli.child.exitCode !== null) throw new Error(`the CLI ended early (${cli.child.exitCode}): ${cli.output()}`)
          const { rows } = await watcher.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()
               AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO catalog_versions%'`,
            [APP_NAME],
          )
          return rows[0]
        },
        30_000,
      ).catch(async (err) => {
        await holder.query('ROLLBACK').catch(() => {})
        throw err
      })
      const written = await watcher.query<{ rel: string; mode: string }>(
        `SELECT relation::regclass::text AS rel, mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND granted ORDER BY 1`,
        [blocked.pid],
      )
      const rels = written.rows.filter((r) => r.mode === 'RowExclusiveLock').map((r) => r.rel)
      t.ok(rels.includes('instance_types') && rels.includes('prices'), `the refresh has already written instance_types and prices, uncommitted (${rels.join(', ')})`)
      t.equal((await latestRun())?.status, 'running')
      const runId = (await latestRun())!.id

      const pids = (await backendOf()).map((r) => r.pid)
      cli.child.kill('SIGKILL')
      t.same(await cli.exit, { code: null, signal: 'SIGKILL' }, 'the CLI died by SIGKILL')
      // Let the orphaned session run on: it finds its client gone at the next read and rolls back.
      await holder.query('ROLLBACK')
      await gone(pids)

      t.same(await state(), before, 'catalog version, rows and their contents are unchanged')
      const run = await latestRun()
      t.equal(run?.id, runId)
      t.match(run, { status: 'running', finished_at: null }, 'this run row stays "running" too')
      await ageHeartbeat(runId)

      // Nothing is left locked: the next refresh runs to the end.
      const again = runCli({ DATABASE_URL: url!, AWS_ENDPOINT_URL: fake.url })
      children.push(again.child)
      const timer = setTimeout(() => again.child.kill('SIGKILL'), 40_000)
      const result = await again.exit
      clearTimeout(timer)
      t.same(result, { code: 0, signal: null }, `the next refresh succeeds: ${again.output().slice(0, 400)}`)
      const now = await state()
      // The rolled-back transaction used up a sequence value: versions may have gaps, never repeats.
      t.ok(Number(now.version) > Number(before.version), `and lands as a newer version (${before.version} → ${now.version})`)
      t.equal(now.versions, '2', 'one more version row, no more')
      t.not(now.prices_md5, before.prices_md5, 'with the new prices')
      const runs = await watcher.query<{ status: string; error: string | null }>('SELECT status, error FROM refresh_runs ORDER BY id')
      t.match(
        runs.rows,
        [
          { status: 'failed', error: /^abandoned: its process \(.* pid \d+ #[0-9a-f]{8}\) is gone; nothing was written$/ },
          { status: 'failed', error: /^abandoned: its process \(.* pid \d+ #[0-9a-f]{8}\) is gone; nothing was written$/ },
          { status: 'succeeded', error: null },
        ],
        'the two killed runs are closed (the first when it was listed, the second by the next refresh), next to the one that succeeded',
      )
      t.equal(runs.rows.length, 3)
    })
  })
}
