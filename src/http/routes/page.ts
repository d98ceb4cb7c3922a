// The advisor page at /: three static files (no build step, nothing from a CDN). The page talks to the
// public REST API only, with URLs relative to itself, so it also works behind a path prefix or embedded
// by the portal in a frame.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PUBLIC_DIR } from '../../paths.js'

const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  // Browsers ask for /favicon.ico on every page (/, /docs, /graphiql); an SVG answers them all.
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
} as const

// Scripts and styles from this origin only; images may be the chart SVGs. No frame-ancestors: the
// portal embeds the page, and the page changes nothing, so framing it cannot be abused.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(join(PUBLIC_DIR, file))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    // Revalidated on every use (no-cache) with a strong ETag: a deploy is seen at once, unchanged files cost a 304.
    const send = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'no-cache').header('etag', etag).header('x-content-type-options', 'nosniff')
      if (url === '/') reply.header('content-security-policy', CSP).header('referrer-policy', 'same-origin')
      if (request.headers['if-none-match'] === etag) return reply.code(304).send()
      return reply.type(type).send(body)
    }
    app.get(url, { schema: { hide: true } }, send)
  }
}
