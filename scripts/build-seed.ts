// Builds the committed seed catalog from the fact tables: node dist/scripts/build-seed.js <dataDir> [outFile]
// (npm run seed:build -- ../shared/data). All the logic is in src/catalog/seed-build.ts; this only reads and writes.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { SEED_FILES, buildSeed, serializeSeed } from '../src/catalog/seed-build.js'

async function main(argv: string[]): Promise<void> {
  const [dataDir, outFile = 'seed/catalog.json'] = argv
  if (!dataDir) {
    console.error('usage: node dist/scripts/build-seed.js <dataDir> [outFile]   (outFile defaults to seed/catalog.json)')
    process.exitCode = 2
    return
  }
  const files: Record<string, string> = {}
  for (const file of Object.values(SEED_FILES)) files[file] = await readFile(join(dataDir, file), 'utf8')
  const seed = buildSeed(files)
  const out = resolve(outFile)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, serializeSeed(seed))
  console.log(`wrote ${outFile}: ${seed.instanceTypes.length} instance types, ${seed.prices.length} prices, as of ${seed.asOf}`)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
