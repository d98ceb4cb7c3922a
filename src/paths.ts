import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The code runs from src/ (tests) and from dist/src/ (npm start); the files beside the code
// (migrations/, seed/, schema.graphql, public/) live at the repository root either way.
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir
    dir = dirname(dir)
  }
  throw new Error('cannot find the project root (package.json next to migrations/)')
}

export const ROOT = findRoot()
export const MIGRATIONS_DIR = join(ROOT, 'migrations')
export const SEED_FILE = join(ROOT, 'seed', 'catalog.json')
export const GRAPHQL_SCHEMA_FILE = join(ROOT, 'schema.graphql')
export const PUBLIC_DIR = join(ROOT, 'public')
