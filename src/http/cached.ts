import type { FastifyReply } from 'fastify'
import type { CatalogSnapshot } from '../catalog/snapshot.js'

export const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Answers are pure functions of the request and the catalog version, so their serialised JSON is kept
 * per version (snapshot.body) under a key that holds everything the answer depends on. Errors are
 * thrown before anything is cached. The body is JSON.stringify of the same object the schema
 * documents, sent as is.
 */
export function sendCachedJson(reply: FastifyReply, snap: CatalogSnapshot, key: string, answer: () => unknown): FastifyReply {
  return reply.type(JSON_TYPE).send(snap.body(`json:${key}`, () => JSON.stringify(answer())))
}
