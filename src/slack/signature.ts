// Slack request signing (https://api.slack.com/docs/verifying-requests-from-slack): X-Slack-Signature is
// `v0=` + hex(HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`)), and X-Slack-Request-Timestamp
// must be within 5 minutes of now, in either direction, so a captured request cannot be replayed later.
// Pure: the caller passes the clock's "now".
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Slack's replay window: |now − timestamp| may be at most this many seconds. */
export const MAX_SKEW_SECONDS = 300

const VERSION = 'v0'
const SIGNATURE = /^v0=[0-9a-f]{64}$/

export interface SignedRequest {
  secret: string
  /** The X-Slack-Request-Timestamp header (Unix seconds), as received. */
  timestamp: string | undefined
  /** The X-Slack-Signature header, as received. */
  signature: string | undefined
  /** The request body exactly as it arrived, before any parsing. */
  rawBody: string
  now: Date
}

export type Verification = { ok: true } | { ok: false; reason: string }

/** `v0=<hex>` for a body: what Slack sends, and what tests sign their requests with. */
export function signSlackRequest(secret: string, timestamp: string | number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${VERSION}:${timestamp}:${rawBody}`, 'utf8').digest('hex')
  return `${VERSION}=${mac}`
}

/** Checks the timestamp window first (cheap), then the signature in constant time. Never throws. */
export function verifySlackSignature(req: SignedRequest): Verification {
  const { timestamp, signature } = req
  if (timestamp === undefined || timestamp === '') return { ok: false, reason: 'the X-Slack-Request-Timestamp header is missing' }
  if (signature === undefined || signature === '') return { ok: false, reason: 'the X-Slack-Signature header is missing' }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Slack-Request-Timestamp must be Unix seconds' }
  const skew = Math.abs(Math.floor(req.now.getTime() / 1000) - Number(timestamp))
  if (skew > MAX_SKEW_SECONDS) {
    return { ok: false, reason: `X-Slack-Request-Timestamp must differ from the server's time by no more than ${MAX_SKEW_SECONDS / 60} minutes` }
  }
  if (!SIGNATURE.test(signature)) return { ok: false, reason: 'X-Slack-Signature must be v0= followed by 64 hex digits' }
  const expected = Buffer.from(signSlackRequest(req.secret, timestamp, req.rawBody), 'utf8')
  const given = Buffer.from(signature, 'utf8')
  // Lengths are equal after the pattern check; the guard keeps timingSafeEqual from throwing regardless.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'X-Slack-Signature does not match the request' }
  }
  return { ok: true }
}
