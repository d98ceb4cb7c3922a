// ../shared/data holds the fact tables the seed was built from. The repository must stand alone, so
// a cross-check against them skips itself where the folder is absent — except in CI, where it must run.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const SHARED_DATA_DIR = fileURLToPath(new URL('../../shared/data/', import.meta.url))

/** Rows of a TSV in ../shared/data as objects, or a skip reason (null in CI: there it must exist). */
export function sharedTable(file: string): { rows: Array<Record<string, string>> } | { skip: string } {
  const path = `${SHARED_DATA_DIR}${file}`
  if (!existsSync(path)) {
    if (process.env.CI) throw new Error(`CI must run the cross-check, but ${file} is not in ../shared/data`)
    return { skip: `../shared/data/${file} is not here (a fresh clone without ../shared): cross-check skipped` }
  }
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n')
  const cols = header!.split('\t')
  return { rows: lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i]!, v]))) }
}
