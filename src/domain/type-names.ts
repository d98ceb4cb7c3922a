// What an EC2 instance type's name says: its family, size, category and generation, the order AWS lists
// types in, and which known names are nearest to a mistyped one. Pure.
//
// Category and generation follow Karpenter's well-known labels `karpenter.k8s.aws/instance-category` and
// `karpenter.k8s.aws/instance-generation`, which aws/karpenter-provider-aws derives from the name
// (pkg/providers/instancetype/types.go, `instanceTypeScheme` = `(^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\.`):
// the category is the leading letters of the name, the generation the digits right after them (after an
// optional `-<n>tb`, as in u-6tb1). m7i-flex.large → m, 7; c6gn.xlarge → c, 6; u-6tb1.metal → u, 1;
// inf2.xlarge → inf, 2. A name the scheme does not fit (mac-m4.metal, bmn-sf1.metal) has neither.
// https://karpenter.sh/docs/reference/instance-types/ lists both labels for every type.

/** The leading letters, an optional `-<n>tb`, then the generation's digits (Karpenter's instanceTypeScheme). */
const SCHEME = /^([a-z]+)(?:-[0-9]+tb)?([0-9]+)[^.]*\./

export function categoryOf(name: string): string | null {
  return SCHEME.exec(name)?.[1] ?? null
}

export function generationOf(name: string): number | null {
  const digits = SCHEME.exec(name)?.[2]
  return digits === undefined ? null : Number(digits)
}

/**
 * Burstable performance types are the T category (T2, T3, T3a, T4g, and the previous-generation t1):
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances.html
 */
export function isBurstable(name: string): boolean {
  return categoryOf(name) === 't'
}

// ---------------------------------------------------------------------------------------------
// The order AWS lists types in
// ---------------------------------------------------------------------------------------------

/** The sizes below xlarge, smallest first, as the EC2 Instance Types guide lists them. */
const SMALL_SIZES = ['nano', 'micro', 'small', 'medium', 'large'] as const

/**
 * A size as a sortable pair: [group, n]. Sizes below xlarge come first (nano … large), then xlarge and
 * the <n>xlarge sizes by n, then metal and the metal-<n>xl sizes by n, then anything else. This is the
 * order of the "Instance families and instance types" tables of the EC2 Instance Types guide
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html: … c7i.48xlarge | c7i.metal-24xl | c7i.metal-48xl).
 */
export function sizeRank(size: string): readonly [group: number, n: number] {
  const small = (SMALL_SIZES as readonly string[]).indexOf(size)
  if (small >= 0) return [0, small]
  const x = /^(\d*)xlarge$/.exec(size)
  if (x) return [1, x[1] === '' ? 1 : Number(x[1])]
  if (size === 'metal') return [2, 0]
  const metal = /^metal-(\d+)xl$/.exec(size)
  if (metal) return [2, Number(metal[1])]
  return [3, 0]
}

/** Text compared with its runs of digits as numbers: m9 before m10, u-3tb1 before u-12tb1. */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? []
  const rb = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!
    const y = rb[i]!
    if (x === y) continue
    const dx = /^\d/.test(x)
    const dy = /^\d/.test(y)
    if (dx && dy) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
      return x.length - y.length // 01 after 1: a stable answer for equal numbers
    }
    return x < y ? -1 : 1
  }
  return ra.length - rb.length
}

/**
 * The one order of instance types every list uses: by family (natural order: c5 < c5a < c5d < c6a <
 * c6g, m9g < m10), then by size as AWS lists them (sizeRank), then by name.
 */
export function compareTypeNames(a: string, b: string): number {
  if (a === b) return 0
  const dot = (s: string) => {
    const i = s.indexOf('.')
    return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]
  }
  const [fa, sa] = dot(a) as [string, string]
  const [fb, sb] = dot(b) as [string, string]
  const byFamily = naturalCompare(fa, fb)
  if (byFamily !== 0) return byFamily
  const [ga, na] = sizeRank(sa)
  const [gb, nb] = sizeRank(sb)
  return ga - gb || na - nb || naturalCompare(sa, sb) || (a < b ? -1 : 1)
}

// ---------------------------------------------------------------------------------------------
// Did you mean
// ---------------------------------------------------------------------------------------------

/** Names are compared on at most this many characters: a mistyped name is short, a hostile one is cut. */
const MAX_COMPARED = 40

/**
 * Optimal string alignment distance (Levenshtein with swaps of two neighbours): how many single-character
 * insertions, deletions, substitutions or transpositions turn `a` into `b`. O(|a| × |b|), both bounded.
 */
export function editDistance(a: string, b: string): number {
  const s = a.slice(0, MAX_COMPARED)
  const t = b.slice(0, MAX_COMPARED)
  const n = t.length
  let prev2 = new Array<number>(n + 1).fill(0)
  let prev = Array.from({ length: n + 1 }, (_, j) => j)
  let cur = new Array<number>(n + 1).fill(0)
  for (let i = 1; i <= s.length; i++) {
    cur[0] = i
    for (let j = 1; j <= n; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2]! + 1)
      cur[j] = d
    }
    ;[prev2, prev, cur] = [prev, cur, prev2]
  }
  return prev[n]!
}

/**
 * The known names nearest to `name`, nearest first (ties in `compare` order), at most `max` of them and
 * only those within reach: an edit distance of at most a third of the name's length (at least 2), so
 * that "m5.larg" suggests m5.large and "zz9" suggests nothing.
 */
export function nearestNames(name: string, known: readonly string[], max = 5, compare: (a: string, b: string) => number = compareTypeNames): string[] {
  const reach = Math.max(2, Math.floor(Math.min(name.length, MAX_COMPARED) / 3))
  const scored: Array<{ name: string; d: number }> = []
  for (const k of known) {
    // A length gap alone already exceeds the reach: no need to align the two.
    if (Math.abs(k.length - Math.min(name.length, MAX_COMPARED)) > reach) continue
    const d = editDistance(name, k)
    if (d <= reach) scored.push({ name: k, d })
  }
  scored.sort((x, y) => x.d - y.d || compare(x.name, y.name))
  return scored.slice(0, max).map((s) => s.name)
}
