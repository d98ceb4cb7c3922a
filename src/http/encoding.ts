// Content negotiation for compression (RFC 9110 §12.5.3): does the client take gzip?
// Pure, so it is tested directly; the bodies themselves are compressed once per catalog version
// (CatalogSnapshot.gzipped), never per request.

/** Bodies smaller than this go out as they are: gzip's own framing and the CPU are not worth it. */
export const MIN_GZIP_BYTES = 1024

/**
 * True when `Accept-Encoding` allows gzip: `gzip` (or its alias `x-gzip`) with a weight above 0, or
 * `*` above 0 when gzip is not itself listed. Names are case-insensitive; a malformed weight counts
 * as 0 for that entry (refusing is always safe: identity is always acceptable here).
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false
  const text = Array.isArray(header) ? header.join(',') : header
  if (text.length > 1024) return false
  let gzip: number | null = null
  let star: number | null = null
  for (const part of text.split(',')) {
    const [rawName = '', ...params] = part.split(';')
    const name = rawName.trim().toLowerCase()
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue
    let q = 1
    for (const p of params) {
      const m = /^\s*q\s*=\s*(\S*)\s*$/i.exec(p)
      if (m) q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(m[1]!) ? Number(m[1]) : 0
    }
    if (name === '*') star = Math.max(star ?? 0, q)
    else gzip = Math.max(gzip ?? 0, q)
  }
  return gzip !== null ? gzip > 0 : star !== null && star > 0
}
