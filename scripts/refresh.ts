// npm run refresh [-- --regions us-east-1,eu-west-1]
// Pulls instance-type limits and on-demand, spot, reserved and gp3 prices from AWS into the configured
// database, as one refresh run (see src/catalog/refresh.ts): by default of every commercial region the
// Price List API knows. Exit codes: 0 refreshed, 1 failed, 2 usage, 3 refused.
import { readSeed, ensureSeeded } from '../src/catalog/seed.js'
import {
  ALL_REGIONS,
  asksForAllRegions,
  DEFAULT_MAX_DROP_SHARE,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  runRefresh,
  validateRegions,
  type RefreshReport,
} from '../src/catalog/refresh.js'
import { loadConfig } from '../src/config.js'
import type { Db } from '../src/db/db.js'
import { migrate, readMigrations } from '../src/db/migrate.js'
import { openDb } from '../src/db/open.js'
import { InputError } from '../src/domain/types.js'
import { MIGRATIONS_DIR, SEED_FILE } from '../src/paths.js'

const USAGE = `usage: npm run refresh -- [--regions all | us-east-1,eu-west-1] [--max-drop-percent 10]

  --regions LIST           comma-separated regions whose prices to refresh, or "all" (the default): every
                           commercial region the AWS Price List API prices EC2 in (GovCloud, China, the
                           ISO partitions and Local/Wavelength Zones left out); instance-type limits are
                           the union over them. With "all", EC2 (limits, spot prices) is asked only in
                           the regions the account has enabled; the others get Price List prices only
  --max-drop-percent N     refuse to commit when more than N % of the instance types, or of a refreshed
                           region's prices of one kind, would disappear (default ${DEFAULT_MAX_DROP_SHARE * 100})
  -h, --help               this text

Database: DATABASE_URL, else the embedded database in DATA_DIR (stop the service first).
AWS: the SDK's usual credential chain; AWS_ENDPOINT_URL_PRICING / AWS_ENDPOINT_URL_EC2 are honoured.
  IAM: pricing:GetProducts, pricing:GetAttributeValues, ec2:DescribeInstanceTypes,
  ec2:DescribeSpotPriceHistory, ec2:DescribeRegions.
Deadline: REFRESH_TIMEOUT_SECONDS (default 300) for the whole run; past it the run stops and fails.
  Every region takes several minutes: the CronJob in deploy/ sets 1500.
Exit codes: 0 refreshed, 1 failed or timed out (catalog unchanged), 2 usage, 3 refused (catalog unchanged).`

class UsageError extends Error {}

interface Args {
  regions: string[] | null
  maxDropShare: number | undefined
  help: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { regions: null, maxDropShare: undefined, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1)
      const next = argv[++i]
      if (next === undefined || next.startsWith('-')) throw new UsageError(`${flag} needs a value`)
      return next
    }
    switch (flag) {
      case '-h':
      case '--help':
        args.help = true
        break
      case '--regions': {
        if (args.regions) throw new UsageError('--regions given twice')
        args.regions = value()
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '')
        if (args.regions.length === 0) throw new UsageError('--regions needs at least one region')
        break
      }
      case '--max-drop-percent': {
        const raw = value()
        const n = Number(raw)
        if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
          throw new UsageError(`--max-drop-percent must be a number from 0 to 100; got "${raw}"`)
        }
        args.maxDropShare = n / 100
        break
      }
      default:
        throw new UsageError(`unknown argument "${arg}"`)
    }
  }
  return args
}

function printReport(r: RefreshReport): void {
  const lines = [
    `refresh run ${r.runId} succeeded: catalog version ${r.catalogVersion} (${r.durationMs} ms)`,
    `regions: ${r.regions.join(', ')}`,
    `instance types: ${r.instanceTypes.total} (added ${r.instanceTypes.added}, updated ${r.instanceTypes.updated}, removed ${r.instanceTypes.removed})`,
  ]
  if (r.instanceTypes.added > 0) {
    lines.push(`  new, without branch-ENI limits (trunking false, branchEnis 0): ${r.instanceTypes.addedNames.join(', ')}`)
  }
  if (r.instanceTypes.removed > 0) lines.push(`  removed (AWS no longer returns them): ${r.instanceTypes.removedNames.join(', ')}`)
  lines.push(`prices: ${r.prices.total} (types priced per region: on-demand / spot / reserved-1y, gp3)`)
  for (const [region, byKind] of Object.entries(r.prices.byCapacityType)) {
    const gp3 = r.storagePrices.byRegion[region] ? 'gp3' : 'no gp3'
    const note = r.notEnabled.includes(region) ? ' (not enabled in this account: no spot)' : ''
    lines.push(`  ${region}: ${byKind['on-demand']} / ${byKind.spot} / ${byKind['reserved-1y']}, ${gp3}${note}`)
  }
  const dropped = r.prices.droppedWithTypes
  if (dropped.total > 0) {
    const where = Object.entries(dropped.byRegion).map(([region, n]) => `${region} ${n}`).join(', ')
    lines.push(`deleted: ${dropped.total} price(s) of types no longer in the catalog, in regions not refreshed (${where})`)
  }
  const skipped = Object.entries(r.skipped)
  lines.push(skipped.length ? `skipped AWS records: ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}` : 'skipped AWS records: none')
  console.log(lines.join('\n'))
}

async function main(argv: string[]): Promise<number> {
  let args: Args
  try {
    args = parseArgs(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    console.error(`refresh: ${err.message}\n\n${USAGE}`)
    return 2
  }
  if (args.help) {
    console.log(USAGE)
    return 0
  }

  const config = loadConfig()
  let regions: string[] | typeof ALL_REGIONS
  try {
    // Checked before the database is opened or AWS called.
    regions = args.regions === null || asksForAllRegions(args.regions) ? ALL_REGIONS : validateRegions(args.regions)
  } catch (err) {
    console.error(`refresh: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  let db: Db
  try {
    db = await openDb(config, (err) => console.error(`refresh: database connection error: ${err.message}`))
  } catch (err) {
    // DataDirInUseError says which process holds the embedded database and what to do.
    console.error(`refresh: ${(err as Error).message}`)
    return 1
  }
  try {
    await migrate(db, await readMigrations(MIGRATIONS_DIR), (msg) => console.error(msg))
    // Branch-ENI limits come from the seed only: an empty database gets it first, as the service does.
    const seeded = await ensureSeeded(db, () => readSeed(SEED_FILE))
    if (seeded) console.error(`the catalog was empty: loaded the seed as version ${seeded}`)
    const report = await runRefresh(db, regions, {
      ...(args.maxDropShare !== undefined ? { maxDropShare: args.maxDropShare } : {}),
      // DescribeRegions (which regions the account has enabled) is asked in AWS_REGION.
      awsOptions: { homeRegion: config.awsRegion },
      timeoutMs: config.refreshTimeoutSeconds * 1000,
      log: {
        info: () => {},
        // What AWS sent that could not be used; the run's own outcome is printed below.
        warn: (o, m) => {
          if (!('runId' in o)) console.error(`warning: ${m ?? ''} ${JSON.stringify(o)}`)
        },
        error: () => {},
      },
    })
    printReport(report)
    return 0
  } catch (err) {
    if (err instanceof InputError) {
      console.error(`refresh: ${err.message}\n\n${USAGE}`)
      return 2
    }
    if (err instanceof RefreshRefusedError || err instanceof RefreshInProgressError) {
      console.error(`refresh: ${err.message}`)
      return 3
    }
    if (err instanceof RefreshFailedError) {
      console.error(`refresh: ${err.message}`)
      return 1
    }
    console.error(`refresh: ${(err as Error).message}`)
    return 1
  } finally {
    await db.close().catch(() => {})
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: Error) => {
    console.error(`refresh: ${err.message}`)
    process.exitCode = 1
  },
)
