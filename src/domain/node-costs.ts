// What a cluster costs besides its nodes' instance hours, as Kubecost counts it: the nodes' EBS volumes
// (OpenCost's "disk" assets, priced per GB-month) and the EKS control-plane fee (its "cluster management"
// cost). Each is its own column beside the node cost, never folded into usdPerHour. Pure: the gp3 price
// comes in from the catalog; the fee is a published constant.
import { HOURS_PER_MONTH } from './capacity.js'

export const CLUSTER_FEES = ['standard', 'extended', 'none'] as const
export type ClusterFee = (typeof CLUSTER_FEES)[number]

/**
 * EKS's charge per cluster and hour for the control plane: $0.10 while the cluster's Kubernetes version is
 * in standard support, $0.60 in all while it is in extended support (from April 2024); `none` leaves it out
 * (EKS Anywhere, or a fee counted elsewhere). Sources: https://aws.amazon.com/eks/pricing/ and the AWS
 * Containers blog "Amazon EKS extended support for Kubernetes versions pricing" (2024: "a total of $0.60 per
 * cluster per hour ... standard support is unchanged — $0.10 per cluster per hour"). The same in every
 * commercial region.
 */
export const EKS_CLUSTER_FEE_USD_PER_HOUR: Readonly<Record<ClusterFee, number>> = { standard: 0.1, extended: 0.6, none: 0 }

export const NODE_COST_REFERENCES = [
  'https://aws.amazon.com/eks/pricing/',
  'https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/',
  'https://aws.amazon.com/ebs/pricing/',
  'https://opencost.io/docs/specification',
] as const

/** What was asked of the overhead and what the catalog has for it. */
export interface OverheadInput {
  /** EBS volume per node, GiB; null: not asked. */
  ebsGiB: number | null
  /** The region's gp3 price per GB-month, or null where the catalog has none. */
  gp3UsdPerGbMonth: number | null
  /** null: not asked. */
  clusterFee: ClusterFee | null
}

/** The overhead columns of one plan row. Each is null when not asked, or (EBS) when the region has no
 * gp3 price; total is null unless every part asked, and the node cost, are known. */
export interface RowOverhead {
  /** nodes × ebsGiB × gp3 $/GB-month, rounded to cents. */
  ebsMonthlyUsd: number | null
  /** The control-plane fee × 730 h: per cluster, so the same in every row. */
  clusterFeeMonthlyUsd: number | null
  /** monthlyUsd (the nodes) + ebsMonthlyUsd + clusterFeeMonthlyUsd, when overhead was asked. */
  totalMonthlyUsd: number | null
  /** The working, or '' when nothing was asked. */
  formula: string
}

const cents = (usd: number): number => Math.round((usd + Number.EPSILON) * 100) / 100

export function asksOverhead(o: OverheadInput): boolean {
  return o.ebsGiB !== null || o.clusterFee !== null
}

export function clusterFeeMonthlyUsd(fee: ClusterFee): number {
  return cents(EKS_CLUSTER_FEE_USD_PER_HOUR[fee] * HOURS_PER_MONTH)
}

/** One row's overhead: `nodes` and `monthlyUsd` (the node cost) as the plan worked them out, or null. */
export function rowOverhead(nodes: number | null, monthlyUsd: number | null, o: OverheadInput): RowOverhead {
  if (!asksOverhead(o)) return { ebsMonthlyUsd: null, clusterFeeMonthlyUsd: null, totalMonthlyUsd: null, formula: '' }
  const parts: string[] = []
  let ebs: number | null = null
  let known = monthlyUsd !== null
  if (o.ebsGiB !== null) {
    if (nodes === null || o.gp3UsdPerGbMonth === null) {
      known = false
      if (nodes !== null) parts.push(`EBS: no gp3 price in the catalog for the region, so ${o.ebsGiB} GiB per node is not priced`)
    } else {
      ebs = cents(nodes * o.ebsGiB * o.gp3UsdPerGbMonth)
      parts.push(`EBS = ${nodes} nodes × ${o.ebsGiB} GiB × $${o.gp3UsdPerGbMonth}/GB-month (gp3) = $${ebs.toFixed(2)}/month`)
    }
  }
  let fee: number | null = null
  if (o.clusterFee !== null) {
    fee = clusterFeeMonthlyUsd(o.clusterFee)
    parts.push(`cluster fee (${o.clusterFee}) = $${EKS_CLUSTER_FEE_USD_PER_HOUR[o.clusterFee]}/h × ${HOURS_PER_MONTH} h = $${fee.toFixed(2)}/month`)
  }
  const total = known && nodes !== null ? cents((monthlyUsd ?? 0) + (ebs ?? 0) + (fee ?? 0)) : null
  if (total !== null) {
    const terms = [`nodes $${monthlyUsd!.toFixed(2)}`, ...(ebs !== null ? [`EBS $${ebs.toFixed(2)}`] : []), ...(fee !== null ? [`cluster fee $${fee.toFixed(2)}`] : [])]
    parts.push(`total = ${terms.join(' + ')} = $${total.toFixed(2)}/month`)
  }
  return { ebsMonthlyUsd: ebs, clusterFeeMonthlyUsd: nodes === null ? null : fee, totalMonthlyUsd: total, formula: parts.join('; ') }
}

/** A sentence for the plan's explanation: what the overhead columns count, and from where. */
export function overheadExplanation(o: OverheadInput, region: string, gp3Source: { source: string; asOf: string } | null): string | null {
  if (!asksOverhead(o)) return null
  const out: string[] = []
  if (o.ebsGiB !== null) {
    out.push(
      gp3Source && o.gp3UsdPerGbMonth !== null
        ? `ebsMonthlyUsd: ${o.ebsGiB} GiB of gp3 per node at $${o.gp3UsdPerGbMonth}/GB-month in ${region} (${gp3Source.source}, as of ${gp3Source.asOf})`
        : `ebsMonthlyUsd: the catalog has no gp3 price for ${region}, so the ${o.ebsGiB} GiB per node are not priced (a catalog refresh of the region brings it)`,
    )
  }
  if (o.clusterFee !== null) {
    out.push(
      `clusterFeeMonthlyUsd: the EKS control plane in ${o.clusterFee} support, $${EKS_CLUSTER_FEE_USD_PER_HOUR[o.clusterFee]} per cluster-hour × ${HOURS_PER_MONTH} h (aws.amazon.com/eks/pricing)`,
    )
  }
  return `Besides the nodes (monthlyUsd), counted apart as Kubecost does: ${out.join('; ')}. totalMonthlyUsd adds them up.`
}
