// Builds the committed seed catalog from the fact tables: node dist/scripts/build-seed.js <dataDir> [outFile] [factsFile] [storageFile]
// (npm run seed:build -- ../shared/data). dataDir holds the five shared tables; factsFile is the project's own
// seed/instance-facts.tsv (vCPUs, memory, arch the shared tables lack) and storageFile its
// seed/storage-prices.tsv (gp3 per GB-month), both in this repo.
// All the logic is in src/catalog/seed-build.ts; this only reads and writes.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { FACTS_FILE, SEED_FILES, STORAGE_PRICES_FILE, buildSeed, serializeSeed } from '../src/catalog/seed-build.js'

async function main(argv: string[]): Promise<void> {
  const [dataDir, outFile = 'seed/catalog.json', factsFile = `seed/${FACTS_FILE}`, storageFile = `seed/${STORAGE_PRICES_FILE}`] = argv
  if (!dataDir) {
    console.error(
      `usage: node dist/scripts/build-seed.js <dataDir> [outFile] [factsFile] [storageFile]   (defaults: seed/catalog.json, seed/${FACTS_FILE}, seed/${STORAGE_PRICES_FILE})`,
    )
    process.exitCode = 2
    return
  }
  const files: Record<string, string> = {}
  for (const file of Object.values(SEED_FILES)) files[file] = await readFile(join(dataDir, file), 'utf8')
  files[FACTS_FILE] = await readFile(factsFile, 'utf8')
  files[STORAGE_PRICES_FILE] = await readFile(storageFile, 'utf8')
  const seed = buildSeed(files)
  const out = resolve(outFile)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, serializeSeed(seed))
  const unknown = seed.instanceTypes.filter((it) => it.vcpu === null).map((it) => it.name)
  console.log(
    `wrote ${outFile}: ${seed.instanceTypes.length} instance types, ${seed.prices.length} on-demand prices, ` +
      `${seed.storagePrices.length} storage prices, as of ${seed.asOf} (no spot or reserved prices: the shared tables have none)`,
  )
  if (unknown.length > 0) console.log(`${unknown.length} types without a sourced vCPU count (EKS cap 110): ${unknown.join(' ')}`)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
