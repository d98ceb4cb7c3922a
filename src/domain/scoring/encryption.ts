// Criterion `encryption`: applies when encryption is preferred or required; required and unmet blocks.
//
// An option meets an encryption need if the CNI encrypts (WireGuard/IPsec), or if EVERY requested
// instance type supports Nitro in-transit encryption. Nitro encrypts whatever the instance sends between
// two capable instances in one VPC, so it is credited to every option, overlays included; only the VPC
// CNI modes depend on it, because they have no encryption of their own. A type with an unknown flag
// (null) counts as not encrypting. The score is what the encryption costs: free on Nitro, the CNI's own
// method below that. The score tables live here, not in the KB, so the KB stays facts only.
import type { CniOption, EncryptionMethod } from '../cni-options.js'
import { list } from './explain.js'
import { outcome, scoreOf, type Blocker, type Context, type CriterionRule } from './model.js'

const NITRO_SCORE = 100
const ENCRYPTION_SCORE: Readonly<Record<EncryptionMethod, number>> = { wireguard: 60, ipsec: 50, 'weave-ipsec': 25 }
const ENCRYPTION_WORDS: Readonly<Record<EncryptionMethod, string>> = { wireguard: 'WireGuard', ipsec: 'IPsec', 'weave-ipsec': "Weave's IPsec/NaCl" }

function encryptionOf(option: CniOption, ctx: Context): { met: boolean; score: number; reason: string; viaNitro: boolean } {
  // WireGuard and IPsec in these CNIs run on Linux nodes only: on a cluster with Windows nodes they leave
  // the Windows nodes' traffic unencrypted (DOMAIN.md; tigera/docs encrypt-cluster-pod-traffic, Linux only).
  const methods = ctx.req.windows ? [] : option.facts.encryption.value.methods
  const best = [...methods].sort((a, b) => ENCRYPTION_SCORE[b] - ENCRYPTION_SCORE[a])[0]
  const typeNames = list(ctx.types.map((t) => t.name))
  if (ctx.nitroEncrypts) {
    return {
      met: true,
      score: NITRO_SCORE,
      viaNitro: true,
      reason:
        `${typeNames} ${ctx.types.length === 1 ? 'encrypts' : 'all encrypt'} traffic between instances in Nitro hardware at no performance cost, so ` +
        (methods.length === 0 ? `${option.name} needs no encryption of its own` : `${option.name} can leave its own ${list(methods.map((m) => ENCRYPTION_WORDS[m]), 'or')} off`) +
        ' (scope: same VPC or peered VPCs, no load balancer or Transit Gateway hop, AWS-managed keys).',
    }
  }
  const nonNitro = ctx.types.filter((t) => t.encryptionInTransit !== true).map((t) => t.name)
  const why = `${list(nonNitro)} ${nonNitro.length === 1 ? 'does' : 'do'} not support Nitro in-transit encryption`
  if (best === undefined) {
    const own =
      ctx.req.windows && option.facts.encryption.value.methods.length > 0
        ? `${option.name}'s ${list(option.facts.encryption.value.methods.map((m) => ENCRYPTION_WORDS[m]), 'or')} does not run on Windows nodes`
        : `${option.name} has no encryption of its own`
    return { met: false, score: 0, viaNitro: false, reason: `${own} and ${why}; pick an encrypting Nitro type (e.g. m6i instead of m5)${ctx.req.windows ? '' : ' or a CNI with WireGuard'}.` }
  }
  return {
    met: true,
    score: ENCRYPTION_SCORE[best],
    viaNitro: false,
    reason: `${why}, so ${option.name} encrypts with ${list(methods.map((m) => ENCRYPTION_WORDS[m]), 'or')}; cost: ${option.facts.encryptionCost.value}.`,
  }
}

export const encryption: CriterionRule = (option, ctx) => {
  const enc = encryptionOf(option, ctx)
  const level = ctx.req.encryption
  const blockers: Blocker[] = level === 'required' && !enc.met ? [{ criterion: 'encryption', reason: enc.reason }] : []
  const caveats: string[] = []
  // Say what the chosen encryption leaves out, but only to a team that asked for encryption.
  if (level !== 'none' && enc.met) {
    if (enc.viaNitro) {
      caveats.push(
        'Nitro in-transit encryption covers traffic between two encryption-capable instances in the same or a peered VPC in one Region; not same-node traffic, not through an NLB/ALB or Transit Gateway, with AWS-managed keys and no workload identity. If compliance needs your own keys or end-to-end mTLS, add WireGuard or a mesh.',
      )
    } else {
      caveats.push(`Encryption: ${option.facts.encryption.value.nodeNeeds} ${option.facts.encryptionCost.note}`)
    }
  }
  return outcome(scoreOf('encryption', level !== 'none', enc.score, enc.reason), blockers, caveats)
}
