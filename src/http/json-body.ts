import type { FastifyInstance } from 'fastify'
import { InputError } from '../domain/types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The body exactly as received: set by the JSON parser (answers are kept under it, kept.ts) and by
     * the Slack door's form parser (Slack signs these bytes).
     */
    rawBody?: string
  }
}

/** No input of this service nests deeper than a few levels; this keeps parsing away from the stack limit. */
export const MAX_JSON_DEPTH = 32

/** The nesting depth of a JSON text, brackets inside strings not counted; stops early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > deepest) deepest = depth
      if (deepest > limit) return deepest
    } else if (c === 125 || c === 93) depth--
  }
  return deepest
}

/**
 * JSON bodies: fastify's own parser (prototype-poisoning protection included) behind a depth check,
 * so a 256 KiB body of nested brackets is a 400 naming the limit, not a stack overflow.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    request.rawBody = text
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new InputError('body', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels; the inputs of this API are flat objects`), undefined)
      return
    }
    parse(request, text, done)
  })
}
