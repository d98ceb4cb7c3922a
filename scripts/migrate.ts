// npm run migrate: applies the migrations in migrations/ to the configured database and exits.
import { loadConfig } from '../src/config.js'
import { migrate, readMigrations } from '../src/db/migrate.js'
import { openDb } from '../src/db/open.js'
import { MIGRATIONS_DIR } from '../src/paths.js'

async function main(): Promise<void> {
  const config = loadConfig()
  const db = await openDb(config)
  try {
    const applied = await migrate(db, await readMigrations(MIGRATIONS_DIR), (msg) => console.log(msg))
    console.log(applied.length ? `applied ${applied.length} migration(s)` : 'the database is up to date')
  } finally {
    await db.close()
  }
}

main().catch((err: Error) => {
  console.error(`migrate: ${err.message}`)
  process.exit(1)
})
