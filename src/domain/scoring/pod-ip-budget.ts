// Criterion `podIpBudget`: applies when podIpBudget and totalPods are given. Fitting the cluster's VPC
// addresses into the budget is a hard constraint; the score is the share of the budget left. Options
// whose pods draw no addresses from the node subnets leave the budget untouched.
import { prefixBlocks } from './option-density.js'
import { outcome, scoreOf, type CriterionRule } from './model.js'

export const podIpBudget: CriterionRule = (option, ctx, { density }) => {
  const { req } = ctx
  const f = option.facts
  const total = density.vpcIpsForTotalPods
  const budget = req.podIpBudget
  const drawsOnBudget = f.podIpSource.value === 'vpc-node-subnet'
  if (!ctx.budgetApplies || budget === null) {
    return outcome(
      scoreOf(
        'podIpBudget',
        false,
        drawsOnBudget ? 50 : 100,
        budget === null
          ? `No podIpBudget given; ${drawsOnBudget ? 'pods take VPC addresses from the node subnets' : 'pods take no addresses from the node subnets'}.`
          : 'podIpBudget needs totalPods to be checked; not scored.',
      ),
    )
  }
  if (!drawsOnBudget) {
    const source = f.podIpSource.value
    const where =
      source === 'vpc-secondary-cidr'
        ? `pods take addresses from ENIConfig subnets in a secondary CIDR${total ? ` (${total.vpcIps} addresses for ${req.totalPods} pods on ${total.nodes} ${total.instanceType} nodes, warm pool included)` : ''}, not from this budget`
        : source === 'vpc-ipv6'
          ? 'pods get IPv6 addresses; each node takes just one IPv4 address'
          : 'pods take addresses from a cluster CIDR outside the VPC; each node takes just its own address'
    const caveats =
      source === 'vpc-secondary-cidr' ? ['Size the secondary CIDR for the pods: a 100.64.0.0/16 gives about 65,000 addresses, and each AZ needs its own ENIConfig subnet.'] : []
    return outcome(scoreOf('podIpBudget', true, 100, `The ${budget}-address budget is untouched: ${where}.`), [], caveats)
  }
  if (total === null) {
    return outcome(scoreOf('podIpBudget', true, 0, `${option.densityMode} cannot place workload pods on the requested types, so the budget cannot be checked.`))
  }
  const blocks = prefixBlocks(ctx, total)
  if (blocks !== null) {
    // Prefix delegation takes aligned /28 blocks, so subnets are counted in blocks, not addresses: the
    // node addresses are counted as packed into blocks of their own (as a subnet CIDR reservation for the
    // prefixes keeps them); scattered node addresses would break more blocks.
    const { needed, held } = blocks
    const reason =
      `${req.totalPods} pods need ${total.nodes} ${total.instanceType} nodes holding ${total.prefixes} /28 prefixes (warm prefixes included) plus ${total.primaries} ENI ` +
      `primary addresses (⌈${total.primaries} ÷ 16⌉ = ${Math.ceil(total.primaries / 16)} blocks): ${needed} aligned /28 blocks of the ${held} the subnets hold (each subnet loses its first and last /28 to AWS's reserved addresses).`
    if (needed > held) {
      return outcome(scoreOf('podIpBudget', true, 0, reason), [{ criterion: 'podIpBudget', reason: `${reason} That is ${needed - held} /28 blocks too many.` }])
    }
    return outcome(scoreOf('podIpBudget', true, Math.round(50 + (50 * (held - needed)) / Math.max(1, held)), reason), [], [
      'Prefixes need contiguous free /28 blocks: node addresses scattered through the subnets fragment them (InsufficientCidrBlocks); reserve a CIDR range for prefixes or use fresh subnets.',
    ])
  }
  const reason = `${req.totalPods} pods need ${total.nodes} ${total.instanceType} nodes taking ${total.vpcIps} VPC addresses (warm pool and ENI primaries included) of the ${budget} available.`
  if (total.vpcIps > budget) {
    return outcome(scoreOf('podIpBudget', true, 0, reason), [{ criterion: 'podIpBudget', reason: `${reason} That is ${total.vpcIps - budget} too many.` }])
  }
  // Half marks for fitting at all, the other half in proportion to the budget left.
  return outcome(scoreOf('podIpBudget', true, Math.round(50 + (50 * (budget - total.vpcIps)) / budget), reason))
}
