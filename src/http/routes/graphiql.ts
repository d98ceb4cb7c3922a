import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { PUBLIC_DIR } from '../../paths.js'

// GraphiQL served from this service's own files (the npm packages' browser builds), so it works on a
// closed network; mercurius' built-in page loads React and GraphiQL from a public CDN at run time.
const require = createRequire(import.meta.url)
// React's package exports do not list its UMD builds; find them beside its package.json.
const inPackage = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), file)
const ASSETS: Record<string, { path: string; type: string }> = {
  'react.js': { path: inPackage('react', 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { path: inPackage('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { path: require.resolve('graphiql/graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { path: require.resolve('graphiql/graphiql.min.css'), type: 'text/css; charset=utf-8' },
  'init.js': { path: join(PUBLIC_DIR, 'graphiql-init.js'), type: 'text/javascript; charset=utf-8' },
}

export async function graphiqlRoutes(app: FastifyInstance): Promise<void> {
  const page = readFileSync(join(PUBLIC_DIR, 'graphiql.html'))
  const files = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.path), type: a.type }]))

  app.get('/graphiql', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page))
  app.get('/graphiql/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const file = files.get((request.params as { file: string }).file)
    if (!file) return reply.callNotFound()
    return reply.type(file.type).header('cache-control', 'public, max-age=86400').send(file.body)
  })
}
