import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { ALWAYS, holdsAt, sendAnswer, type SentAnswer } from './cached.js'
import type { AppContext } from './context.js'
import { wantsCsv } from './csv.js'

/**
 * Answers kept under the request exactly as sent: a GET's URL (path and query string), a POST's URL and
 * JSON body as received. The portal, spreadsheets and Slack links repeat the same requests. A repeated
 * GET is answered from the route's onRequest hook, right after the request policy (id, headers, rate
 * limit), without parsing its query, building its key, validating or calling the handler: about 10,000
 * of a small answer's instructions (bench/results.md); a repeated POST, once its body is read, without
 * reading the fields, building the key or working out the price freshness. The first time, the
 * handler works the answer out and keeps it (`send`). Only answers are kept (a bad request throws
 * first), so a request that answered once answers the same for this catalog version, or over `valid`
 * for an answer that shows price freshness. `csv`: the route answers CSV to `Accept: text/csv` too, so
 * that is part of the key.
 */
export function keptAnswers(ctx: Pick<AppContext, 'catalog' | 'clock'>, opts: { csv: boolean }) {
  const keyOf = (request: FastifyRequest): string => {
    const url = opts.csv && wantsCsv(request) ? `csv ${request.url}` : request.url
    // A GET's answer ignores any body it was sent; a POST's is the body's (its key cannot be a GET's: a
    // URL holds no newline).
    return request.method !== 'POST' || request.rawBody === undefined ? url : `${url}\n${request.rawBody}`
  }
  const holds = (sent: SentAnswer): boolean => sent.valid === ALWAYS || holdsAt(sent.valid, ctx.clock().getTime())
  const lookup = (snap: CatalogSnapshot, key: string): SentAnswer | undefined => {
    const sent = snap.answerFor<SentAnswer>(key)
    return sent !== undefined && holds(sent) ? sent : undefined
  }

  /** For a GET route's onRequest: a kept answer is sent here, and the rest of the request's work skipped. */
  const onRequest: onRequestHookHandler = (request, reply, done) => {
    const snap = ctx.catalog.current()
    const sent = lookup(snap, keyOf(request))
    if (sent === undefined) return done()
    sendAnswer(reply, snap, sent)
  }

  /** For the handler: the kept answer, or `answer()` worked out and kept. */
  const send = (request: FastifyRequest, reply: FastifyReply, snap: CatalogSnapshot, answer: () => SentAnswer): FastifyReply => {
    const key = keyOf(request)
    let sent = lookup(snap, key)
    if (sent === undefined) {
      sent = answer()
      snap.keepAnswerFor(key, sent)
    }
    return sendAnswer(reply, snap, sent)
  }

  return { onRequest, send }
}
