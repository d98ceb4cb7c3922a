import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { ALWAYS, holdsAt, sendAnswer, type SentAnswer } from './cached.js'
import type { AppContext } from './context.js'
import { wantsCsv } from './csv.js'

/**
 * GET answers kept under the URL exactly as sent (path and query string): the portal, spreadsheets and
 * Slack links repeat the same URLs. A repeat is answered from the route's onRequest hook, right after
 * the request policy (id, headers, rate limit), without parsing its query, building its key, validating
 * or calling the handler: about 8,000 of a small answer's instructions (bench/results.md). The first
 * time, the handler works the answer out and keeps it (`send`). Only answers are kept (a bad request
 * throws first), so a URL that answered once answers the same for this catalog version, or over `valid`
 * for an answer that shows price freshness. `csv`: the route answers CSV to `Accept: text/csv` too, so
 * that is part of the key.
 */
export function keptByUrl(ctx: Pick<AppContext, 'catalog' | 'clock'>, opts: { csv: boolean }) {
  const keyOf = (request: FastifyRequest): string => (opts.csv && wantsCsv(request) ? `csv ${request.url}` : request.url)
  const holds = (sent: SentAnswer): boolean => sent.valid === ALWAYS || holdsAt(sent.valid, ctx.clock().getTime())

  const onRequest: onRequestHookHandler = (request, reply, done) => {
    const snap = ctx.catalog.current()
    const sent = snap.answerFor<SentAnswer>(keyOf(request))
    if (sent === undefined || !holds(sent)) return done()
    sendAnswer(reply, snap, sent)
  }

  const send = (request: FastifyRequest, reply: FastifyReply, snap: CatalogSnapshot, answer: () => SentAnswer): FastifyReply => {
    const sent = answer()
    snap.keepAnswerFor(keyOf(request), sent)
    return sendAnswer(reply, snap, sent)
  }

  return { onRequest, send }
}
