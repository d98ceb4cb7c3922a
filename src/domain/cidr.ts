// IPv4 CIDR blocks as AWS subnets: strict parsing, usable addresses, overlaps. Pure.
import { InputError } from './types.js'

export interface SubnetCidr {
  /** The block as given, e.g. "10.0.0.0/19". */
  cidr: string
  /** The network address as an unsigned 32-bit number. */
  network: number
  prefixLength: number
  /** 2^(32 − prefix) addresses in the block. */
  size: number
  /** size − 5: AWS reserves the network address, the next three (router, DNS, future) and the last. */
  usable: number
}

/** AWS subnet sizes: /16 is the largest, /28 the smallest. */
export const AWS_SUBNET_PREFIX_MIN = 16
export const AWS_SUBNET_PREFIX_MAX = 28
export const AWS_RESERVED_PER_SUBNET = 5

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const CIDR = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(\\d{1,2})$`)

/**
 * Parses "a.b.c.d/n". Strict: four decimal octets without leading zeros, a prefix between /16 and /28
 * (what AWS allows for a subnet), and no host bits set — "10.0.0.1/24" is rejected rather than silently
 * taken as 10.0.0.0/24, because a typo in a subnet list would otherwise change the budget unnoticed.
 */
export function parseSubnetCidr(text: unknown, field = 'podSubnets'): SubnetCidr {
  if (typeof text !== 'string') throw new InputError(field, `${field} must hold CIDR strings like "10.0.0.0/19"; got ${typeof text}`)
  const m = CIDR.exec(text.trim())
  if (!m) throw new InputError(field, `${field}: ${JSON.stringify(text)} is not an IPv4 CIDR block like "10.0.0.0/19"`)
  const octets = [m[1], m[2], m[3], m[4]].map(Number)
  const prefixLength = Number(m[5])
  if (prefixLength < AWS_SUBNET_PREFIX_MIN || prefixLength > AWS_SUBNET_PREFIX_MAX) {
    throw new InputError(field, `${field}: ${text} has prefix /${prefixLength}; an AWS subnet is /${AWS_SUBNET_PREFIX_MIN} to /${AWS_SUBNET_PREFIX_MAX}`)
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0)
  const size = 2 ** (32 - prefixLength)
  const network = address - (address % size)
  if (network !== address) {
    throw new InputError(field, `${field}: ${text} has host bits set; the block starting there is ${formatIpv4(network)}/${prefixLength}`)
  }
  return { cidr: text.trim(), network, prefixLength, size, usable: size - AWS_RESERVED_PER_SUBNET }
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** Two blocks overlap when either one's range contains the other's start. */
export function cidrsOverlap(a: SubnetCidr, b: SubnetCidr): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size
}

export interface SubnetBudget {
  subnets: SubnetCidr[]
  /** Usable addresses over all the subnets. */
  usable: number
}

/** Parses a list of subnets, rejects an empty list and overlapping blocks, and sums usable addresses. */
export function subnetBudget(cidrs: unknown, field = 'podSubnets'): SubnetBudget {
  if (!Array.isArray(cidrs) || cidrs.length === 0) throw new InputError(field, `${field} must be a non-empty list of CIDR strings like "10.0.0.0/19"`)
  const subnets = cidrs.map((c) => parseSubnetCidr(c, field))
  const sorted = [...subnets].sort((x, y) => x.network - y.network)
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as SubnetCidr
    const cur = sorted[i] as SubnetCidr
    if (cidrsOverlap(prev, cur)) throw new InputError(field, `${field}: ${prev.cidr} and ${cur.cidr} overlap`)
  }
  return { subnets, usable: subnets.reduce((acc, s) => acc + s.usable, 0) }
}

/**
 * Aligned /28 blocks a prefix-delegation node can be given from the subnets: a subnet of 2^(28 − n) blocks
 * loses the first (the network address and the three AWS reserves after it) and the last (the broadcast
 * reserve), so a /24 holds at most 14 free /28s (224 pod addresses), not 251 (EKS: prefixes need
 * contiguous /28 blocks; docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html).
 */
export function subnetPrefixBlocks(subnets: readonly SubnetCidr[]): number {
  return subnets.reduce((n, s) => n + Math.max(0, 2 ** (AWS_SUBNET_PREFIX_MAX - s.prefixLength) - 2), 0)
}
