// Filters on instance types, in the spirit of Karpenter's NodePool requirements on its well-known labels
// (https://karpenter.sh/docs/concepts/scheduling/#well-known-labels): kubernetes.io/arch,
// karpenter.k8s.aws/instance-category (In), instance-generation (Gt), instance-cpu and instance-memory
// (Gt), and the bare-metal size. Pure: a filter is data, and a type matches it or not.
import { categoryOf, generationOf, isBurstable } from './type-names.js'
import type { InstanceType } from './types.js'

/** `any` keeps both architectures (a whole-catalog plan otherwise assumes amd64). */
export const ARCHES = ['amd64', 'arm64', 'any'] as const
export type ArchFilter = (typeof ARCHES)[number]

export interface TypeFilter {
  family: string | null
  arch: ArchFilter | null
  /** Any of these categories (the leading letters of the name: c, m, r, t, inf …). */
  category: readonly string[] | null
  /** At least this generation (the digits after the category: m7i → 7). */
  generation: number | null
  /** false leaves out the burstable T types, true keeps only them. */
  burstable: boolean | null
  minVcpu: number | null
  minMemoryMiB: number | null
  bareMetal: boolean | null
}

export const NO_FILTER: TypeFilter = Object.freeze({
  family: null,
  arch: null,
  category: null,
  generation: null,
  burstable: null,
  minVcpu: null,
  minMemoryMiB: null,
  bareMetal: null,
})

/** The filter part of a parsed question (absent fields are null). */
export function filterOf(q: Partial<Record<keyof TypeFilter, unknown>>): TypeFilter {
  return {
    family: (q.family as string | null | undefined) ?? null,
    arch: (q.arch as ArchFilter | null | undefined) ?? null,
    category: (q.category as string[] | null | undefined) ?? null,
    generation: (q.generation as number | null | undefined) ?? null,
    burstable: (q.burstable as boolean | null | undefined) ?? null,
    minVcpu: (q.minVcpu as number | null | undefined) ?? null,
    minMemoryMiB: (q.minMemoryMiB as number | null | undefined) ?? null,
    bareMetal: (q.bareMetal as boolean | null | undefined) ?? null,
  }
}

/** True when the filter keeps every type (`arch=any` included). */
export function isEmptyFilter(f: TypeFilter): boolean {
  return (
    f.family === null &&
    (f.arch === null || f.arch === 'any') &&
    f.category === null &&
    f.generation === null &&
    f.burstable === null &&
    f.minVcpu === null &&
    f.minMemoryMiB === null &&
    f.bareMetal === null
  )
}

/**
 * Whether the type meets every condition of the filter. A type whose name gives no category or
 * generation (mac-m4.metal) fails a category or generation condition, as it matches no Karpenter
 * requirement on those labels; one without vCPU or memory figures fails a minimum on them.
 */
export function matchesFilter(it: InstanceType, f: TypeFilter): boolean {
  if (f.family !== null && it.family !== f.family) return false
  if (f.arch !== null && f.arch !== 'any' && it.arch !== f.arch) return false
  if (f.category !== null) {
    const c = categoryOf(it.name)
    if (c === null || !f.category.includes(c)) return false
  }
  if (f.generation !== null) {
    const g = generationOf(it.name)
    if (g === null || g < f.generation) return false
  }
  if (f.burstable !== null && isBurstable(it.name) !== f.burstable) return false
  if (f.minVcpu !== null && (it.vcpu === null || it.vcpu < f.minVcpu)) return false
  if (f.minMemoryMiB !== null && (it.memoryMiB === null || it.memoryMiB < f.minMemoryMiB)) return false
  if (f.bareMetal !== null && it.bareMetal !== f.bareMetal) return false
  return true
}

/** The conditions as query words, in table order: `family=m7i, arch=arm64, generation≥7`. */
export function describeFilter(f: TypeFilter): string {
  const parts: string[] = []
  if (f.family !== null) parts.push(`family=${f.family}`)
  if (f.arch !== null) parts.push(`arch=${f.arch}`)
  if (f.category !== null) parts.push(`category=${f.category.join(',')}`)
  if (f.generation !== null) parts.push(`generation≥${f.generation}`)
  if (f.burstable !== null) parts.push(`burstable=${f.burstable}`)
  if (f.minVcpu !== null) parts.push(`vcpu≥${f.minVcpu}`)
  if (f.minMemoryMiB !== null) parts.push(`memory≥${f.minMemoryMiB} MiB`)
  if (f.bareMetal !== null) parts.push(`bareMetal=${f.bareMetal}`)
  return parts.join(', ')
}

/** The names of the fields the filter sets (for an error naming what left nothing). */
export function filterFields(f: TypeFilter): Array<keyof TypeFilter> {
  return (Object.keys(NO_FILTER) as Array<keyof TypeFilter>).filter((k) => f[k] !== null && !(k === 'arch' && f.arch === 'any'))
}
