// Block Kit renderers: answer objects in, Slack message JSON out. Pure. Every message carries a
// top-level `text` (the notification fallback) and keeps within Slack's limits: header 150 characters,
// section text 3000, at most 10 fields of 2000 characters, context elements 10.
// Text from the answers is escaped for mrkdwn (&, <, >), links are <url|label>.
import type { CapacityPlanAnswer, CatalogStamp, CapacityQuery, MaxPodsQuery } from '../answers/answers.js'
import { CAPACITY_FIELDS, MAX_PODS_FIELDS, REQUIREMENT_FIELDS } from '../answers/inputs.js'
import type { MaxPodsResult } from '../domain/density.js'
import type { FieldTable } from '../domain/fields.js'
import type { Requirements } from '../domain/types.js'
import type { RecommendationAnswer } from '../answers/recommendation.js'
import type { CapacityRow } from '../domain/capacity.js'
import type { CapacityType, StoragePrice } from '../domain/types.js'
import type { KindPrices } from '../answers/prices.js'
import { USAGE, type CommandName, type UsageError, type Visibility } from './commands.js'
import { actionBlocks, imageBlocks, type ActionsBlock, type AnswerLinks, type ImageBlock } from './links.js'

export const LIMITS = { header: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, fallback: 3000 } as const

export interface TextObject {
  type: 'mrkdwn' | 'plain_text'
  text: string
  emoji?: boolean
}
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | ImageBlock
  | ActionsBlock

export interface SlackMessage {
  response_type: Visibility
  text: string
  blocks: Block[]
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Cuts at `max` characters (counting the ellipsis). */
export function clip(s: string, max: number): string {
  // A string no longer in UTF-16 units than `max` has no more code points either: no need to split it.
  if (s.length <= max) return s
  const chars = [...s]
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`
}

/** mrkdwn control characters; Slack decodes exactly these three. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The first sentence: up to a `.`, `!` or `?` followed by a space and a capital or digit (so `m5.large` does not end one). */
export function firstSentence(s: string): string {
  const m = /^(.+?[.!?])\s+(?=[A-Z0-9("'])/s.exec(s.trim())
  return (m ? m[1]! : s).trim()
}

const mrkdwn = (text: string, max: number = LIMITS.sectionText): TextObject => ({ type: 'mrkdwn', text: clip(text, max) })
const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: clip(text, LIMITS.header), emoji: true } })
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) })
const fieldsSection = (title: string | null, fields: string[]): Block => ({
  type: 'section',
  ...(title !== null ? { text: mrkdwn(title) } : {}),
  fields: fields.slice(0, LIMITS.fields).map((f) => mrkdwn(f, LIMITS.fieldText)),
})
const context = (parts: string[]): Block => ({ type: 'context', elements: parts.slice(0, LIMITS.contextElements).map((p) => mrkdwn(p)) })
const link = (url: string, label: string) => `<${escapeMrkdwn(url)}|${escapeMrkdwn(label)}>`

function message(visibility: Visibility, text: string, blocks: Block[]): SlackMessage {
  return { response_type: visibility, text: clip(text, LIMITS.fallback), blocks }
}

const money = (n: number | null): string =>
  n === null ? 'no price' : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

function stampLine(c: CatalogStamp): string {
  return `Catalog v${c.version} · ${c.pricesAsOf ? `${c.region} prices as of ${c.pricesAsOf.slice(0, 10)}` : `no prices for ${c.region}`}${c.stale ? ' (stale)' : ''}`
}

// ---------------------------------------------------------------------------------------------
// Links to the same answer over REST
// ---------------------------------------------------------------------------------------------

/** The query string of parsed values: only those that differ from the table's default; lists comma-separated. */
export function queryOf(table: FieldTable, parsed: Record<string, unknown>): URLSearchParams {
  const q = new URLSearchParams()
  for (const [name, spec] of Object.entries(table)) {
    const v = parsed[name]
    if (v === null || v === undefined) continue
    const text = Array.isArray(v) ? v.join(',') : String(v)
    const def = 'default' in spec && spec.default !== undefined ? (Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)) : undefined
    if (text !== def) q.set(name, text)
  }
  return q
}

const withQuery = (url: string, q: URLSearchParams): string => {
  const s = q.toString()
  return s ? `${url}?${s}` : url
}

export function recommendationLink(publicUrl: string, req: Requirements): string {
  return withQuery(`${publicUrl}/v1/recommendations`, queryOf(REQUIREMENT_FIELDS, req as unknown as Record<string, unknown>))
}

export function maxPodsLink(publicUrl: string, instanceType: string, q: MaxPodsQuery): string {
  const params = queryOf(MAX_PODS_FIELDS, q)
  params.set('mode', q.mode)
  return withQuery(`${publicUrl}/v1/instance-types/${encodeURIComponent(instanceType)}/max-pods`, params)
}

export function capacityPlanLink(publicUrl: string, q: CapacityQuery): string {
  return withQuery(`${publicUrl}/v1/capacity-plans`, queryOf(CAPACITY_FIELDS, q))
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

export const RUNNER_UPS = 3

/**
 * The recommended option's configuration as a snippet: its summary and the first file (the VPC CNI add-on
 * values, or the Helm values) in a code block when it fits a section; the page has every file.
 */
function configurationBlocks(option: RecommendationAnswer['options'][number] | null): Block[] {
  const c = option?.configuration
  if (!c) return []
  const first = c.artifacts[0]
  const head = `*To apply* ${escapeMrkdwn(c.summary)}`
  if (first === undefined) return [section(head)]
  const code = `\n*${escapeMrkdwn(first.filename)}*: ${escapeMrkdwn(first.apply)}\n\`\`\`${escapeMrkdwn(first.content.replace(/\`\`\`/g, "'''"))}\`\`\``
  return [section(head.length + code.length <= LIMITS.sectionText ? head + code : `${head}\nEvery file is on the advisor page (Open in the advisor).`)]
}

export function recommendationMessage(a: RecommendationAnswer, links: AnswerLinks, visibility: Visibility): SlackMessage {
  const top = a.recommendation
  const blocks: Block[] = []
  let fallback: string
  if (top !== null) {
    const why = firstSentence(top.explanation) || firstSentence(a.summary)
    blocks.push(header(`${top.name} (score ${top.score})`))
    blocks.push(section(escapeMrkdwn(why)))
    fallback = `Recommended: ${top.name} (${top.id}), score ${top.score}. ${why}`
  } else {
    blocks.push(header('No CNI option meets every required need'))
    blocks.push(section(escapeMrkdwn(a.summary)))
    // The summary starts by saying so and names the conflicting needs.
    fallback = a.summary
  }
  const runnerUps = a.options.filter((o) => o.verdict !== 'blocked' && o.id !== top?.id).slice(0, RUNNER_UPS)
  if (runnerUps.length > 0) {
    blocks.push(fieldsSection('*Runner-ups*', runnerUps.map((o) => `*${escapeMrkdwn(o.name)}*\nscore ${o.score}`)))
  }
  const blocked = a.options.filter((o) => o.verdict === 'blocked')
  if (blocked.length > 0) {
    const shown = blocked.length > LIMITS.fields ? blocked.slice(0, LIMITS.fields - 1) : blocked
    const fields = shown.map((o) => `*${escapeMrkdwn(o.name)}*\n${escapeMrkdwn(o.blockers[0]?.reason ?? 'blocked')}`)
    if (shown.length < blocked.length) fields.push(`…and ${blocked.length - shown.length} more blocked options (see the details)`)
    blocks.push(fieldsSection(`*Blocked* (${blocked.length} of ${a.options.length})`, fields))
  }
  blocks.push(...configurationBlocks(top), ...imageBlocks(links), ...actionBlocks(links))
  blocks.push(context([stampLine(a.catalog), link(links.details, 'Details in the API')]))
  return message(visibility, fallback, blocks)
}

export function maxPodsMessage(r: MaxPodsResult, catalogVersion: number, links: AnswerLinks, visibility: Visibility): SlackMessage {
  const ctx = context([`Catalog v${catalogVersion}`, link(links.details, 'Details in the API')])
  const more = [...imageBlocks(links), ...actionBlocks(links)]
  if (!r.supported) {
    const why = r.reason ?? `${r.mode} cannot run on ${r.instanceType}`
    return message(visibility, `${r.instanceType} cannot run ${r.mode}: ${why}`, [
      header(`${r.instanceType}: ${r.mode} not supported`),
      section(escapeMrkdwn(why)),
      ...more,
      ctx,
    ])
  }
  const fields = [
    `*maxPods* (address limit)\n${r.maxPods}`,
    `*recommendedMaxPods* (kubelet --max-pods)\n${r.recommendedMaxPods}`,
    `*podsForWorkloads*\n${r.podsForWorkloads}`,
    `*formula*\n\`${escapeMrkdwn(r.formula.replace(/`/g, "'"))}\``,
  ]
  return message(
    visibility,
    `${r.instanceType} (${r.mode}): maxPods ${r.maxPods}, recommendedMaxPods ${r.recommendedMaxPods}, podsForWorkloads ${r.podsForWorkloads}`,
    [header(`${r.instanceType}: ${r.recommendedMaxPods} pods per node (${r.mode})`), section(escapeMrkdwn(firstSentence(r.explanation))), fieldsSection(null, fields), ...more, ctx],
  )
}

export const PLAN_ROWS = 5

/**
 * Where a plan's prices come from, as the answers layer states it (src/answers/prices.ts: kindPrices for
 * the asked capacityType, gp3Of for ebsGiB): read from the catalog's own record of its prices, never
 * worked out here. The plan answer's rows and `pricing` carry the numbers; this carries their provenance.
 */
export interface PlanPriceBasis {
  capacityType: CapacityType
  /** The sources of the region's prices of that kind (empty: the catalog has none). */
  sources: KindPrices['sources']
  /** The oldest as-of among them, or null. */
  asOf: KindPrices['asOf']
  /** What the kind of price is, in the answers' words (CAPACITY_TYPE_WORDS). */
  words: string
  /** The region's gp3 price, where ebsGiB was asked and the catalog has one. */
  gp3: StoragePrice | null
}

/** Node overhead (ebsGiB, clusterFee) was asked: the rows carry ebsMonthlyUsd, clusterFeeMonthlyUsd and totalMonthlyUsd. */
const asksOverhead = (p: CapacityPlanAnswer): boolean => p.input.ebsGiB !== null || p.input.clusterFee !== null

type PlanRow = CapacityPlanAnswer['rows'][number]

/** The overhead columns of a row, each apart from the node cost, as the answer gives them. */
function overheadText(r: PlanRow, p: CapacityPlanAnswer): string {
  const parts: string[] = []
  if (p.input.ebsGiB !== null) parts.push(r.ebsMonthlyUsd == null ? 'EBS not priced (no gp3 price)' : `EBS ${money(r.ebsMonthlyUsd)}`)
  if (p.input.clusterFee !== null && r.clusterFeeMonthlyUsd != null) parts.push(`EKS fee ${money(r.clusterFeeMonthlyUsd)}`)
  parts.push(r.totalMonthlyUsd == null ? 'total unknown' : `total ${money(r.totalMonthlyUsd)}/month`)
  return parts.join(' · ')
}

function planRowText(r: PlanRow, p: CapacityPlanAnswer): string {
  const name = `*${escapeMrkdwn(r.instanceType)}*${p.modes.length > 1 ? ` (${r.mode})` : ''}`
  if (r.reason !== null) return `${name}\n${escapeMrkdwn(r.reason)}`
  const cost = r.monthlyUsd === null ? 'no price in the region' : `${money(r.monthlyUsd)}/month`
  return (
    `${name}: ${cost}\n` +
    `${r.nodes} nodes × ${r.podsPerNode} pods (limited by ${r.limitedBy}) · ${r.vpcIps} VPC IPs` +
    (r.usdPerPodMonth === null ? '' : ` · ${money(r.usdPerPodMonth)}/pod-month`) +
    (asksOverhead(p) ? `\n${overheadText(r, p)}` : '')
  )
}

/** The first line: a cost claim only where every type that can serve has a price; else what is known. */
function planLead(p: CapacityPlanAnswer): string {
  const best = p.rows[0]
  if (!best || best.reason !== null) return 'No instance type can serve this workload as asked.'
  const what = `${best.nodes} × ${best.instanceType} (${best.mode})`
  const pr = p.pricing
  if (pr.ranking === 'nodes') {
    return `No ${pr.capacityType} prices in ${p.region} for these types (${pr.summary}): ranked by nodes, fewest first: ${what}. Without prices no type is named the cheapest: run a catalog refresh for ${p.region}.`
  }
  const cost = `${money(best.monthlyUsd)}/month, ${money(best.usdPerPodMonth)} per pod-month at ${pr.capacityType} prices`
  // The rows are ranked by the node cost; the overhead stands beside it (a total, where every part is priced).
  const total = asksOverhead(p) && best.totalMonthlyUsd != null ? `; ${money(best.totalMonthlyUsd)}/month in all with ${overheadNames(p)}` : ''
  if (!pr.complete) return `Lowest priced of the ${pr.priced} priced types (${pr.summary}): ${what} at ${cost}${total}; a type without a price may cost less.`
  return `Cheapest: ${what} at ${cost}${total}.`
}

const overheadNames = (p: CapacityPlanAnswer): string =>
  [p.input.ebsGiB !== null ? 'EBS' : '', p.input.clusterFee !== null ? 'the EKS control-plane fee' : ''].filter(Boolean).join(' and ')

const day = (iso: string) => iso.slice(0, 10)

/** "spot prices in us-east-1: aws-ec2-spot-price-history, as of 2026-11-30 (the median …)". */
function priceSourceLine(p: CapacityPlanAnswer, b: PlanPriceBasis): string {
  if (b.asOf === null) return `Prices: the catalog has no ${b.capacityType} prices for ${p.region} (${b.words}).`
  return `Prices: ${b.capacityType} in ${p.region}, ${b.sources.join(', ')}, as of ${day(b.asOf)}: ${b.words}.`
}

/** What the overhead columns count and where their prices come from; the figures are the rows'. */
function overheadLine(p: CapacityPlanAnswer, b: PlanPriceBasis): string {
  const parts: string[] = []
  if (p.input.ebsGiB !== null) {
    parts.push(
      b.gp3 !== null
        ? `EBS (ebsMonthlyUsd): ${p.input.ebsGiB} GiB gp3 per node at $${b.gp3.usdPerGbMonth}/GB-month (${b.gp3.source}, as of ${day(b.gp3.asOf)})`
        : `EBS (ebsMonthlyUsd): no gp3 price for ${p.region} in the catalog, so the ${p.input.ebsGiB} GiB per node are not priced; a catalog refresh of the region brings it`,
    )
  }
  if (p.input.clusterFee !== null) {
    const fee = p.rows.find((r) => r.clusterFeeMonthlyUsd != null)?.clusterFeeMonthlyUsd
    parts.push(`EKS control plane (clusterFeeMonthlyUsd): ${p.input.clusterFee} support${fee != null ? `, ${money(fee)}/month per cluster` : ''} (aws.amazon.com/eks/pricing)`)
  }
  return `Besides the nodes, counted apart as Kubecost does, never folded into the node price: ${parts.join('; ')}. totalMonthlyUsd adds them up.`
}

function planStampLine(p: CapacityPlanAnswer, b: PlanPriceBasis): string {
  const c = p.catalog
  return `Catalog v${c.version} · ${b.asOf !== null ? `${p.region} ${b.capacityType} prices as of ${day(b.asOf)}` : `no ${b.capacityType} prices for ${p.region}`}${c.stale ? ' (stale)' : ''}`
}

export function capacityPlanMessage(p: CapacityPlanAnswer, links: AnswerLinks, visibility: Visibility, basis: PlanPriceBasis): SlackMessage {
  const rows = p.rows.slice(0, PLAN_ROWS)
  const lead = planLead(p)
  const modes = p.modes.length > 1 ? `modes ${p.modes.join(', ')}` : p.modes[0]
  const spec =
    `${p.input.totalPods} pods of ${p.input.podCpuMilli}m CPU and ${p.input.podMemoryMiB} MiB, ${modes}, ${p.region}` +
    (p.input.podsPerNode !== null ? `, at least ${p.input.podsPerNode} pods per node` : '') +
    `, ${p.pricing.capacityType} prices` +
    (p.input.ebsGiB !== null ? `, ${p.input.ebsGiB} GiB EBS per node` : '') +
    (p.input.clusterFee !== null ? `, EKS control-plane fee (${p.input.clusterFee})` : '')
  const notes = [
    ...p.assumptions,
    priceSourceLine(p, basis),
    ...(asksOverhead(p) ? [overheadLine(p, basis)] : []),
    ...(p.pricing.hint !== null ? [p.pricing.hint] : []),
  ]
  const blocks: Block[] = [
    header(`Capacity plan: ${p.input.totalPods} pods`),
    section(`${escapeMrkdwn(lead)}\n_${escapeMrkdwn(spec)}_`),
  ]
  if (rows.length > 0) blocks.push(fieldsSection(null, rows.map((r) => planRowText(r, p))))
  blocks.push(context(notes.map(escapeMrkdwn)))
  blocks.push(...imageBlocks(links), ...actionBlocks(links))
  const shown = p.modes.length > 1 ? `${rows.length} of ${p.totalRows} rows (instance type × mode) shown` : `${rows.length} of ${p.totalRows} instance types shown`
  blocks.push(context([planStampLine(p, basis), shown, escapeMrkdwn(p.pricing.summary), link(links.details, 'All rows in the API')]))
  return message(visibility, `Capacity plan for ${spec}. ${lead}`, blocks)
}

// ---------------------------------------------------------------------------------------------
// Help and usage errors (always private)
// ---------------------------------------------------------------------------------------------

const usageLines = (c: CommandName): string => [`\`${USAGE[c].line}\``, ...USAGE[c].details.map((d) => `• ${escapeMrkdwn(d)}`)].join('\n')

export function helpMessage(topic: CommandName | null, links: AnswerLinks, visibility: Visibility = 'ephemeral'): SlackMessage {
  const topics: CommandName[] = topic === null ? ['recommend', 'maxpods', 'plan', 'help'] : [topic]
  return message(visibility, 'cni-advisor: /cni recommend, /cni maxpods, /cni plan, /cni help', [
    header('cni-advisor: EKS networking answers'),
    ...topics.map((t) => section(usageLines(t))),
    ...actionBlocks(links),
  ])
}

/** What was wrong and what is accepted, with the same buttons as help (the page and every option in the docs). */
export function usageMessage(e: UsageError, links: AnswerLinks): SlackMessage {
  const problem = `${escapeMrkdwn(e.message)}${e.typedAs ? ` (you wrote ${escapeMrkdwn(e.typedAs)}, short for ${escapeMrkdwn(e.field ?? '')})` : ''}`
  const topics: CommandName[] = e.command !== null ? [e.command] : ['recommend', 'maxpods', 'plan', 'help']
  return message('ephemeral', `Sorry, I could not answer that: ${e.message}`, [
    section(`:warning: ${problem}`),
    ...topics.map((t) => section(usageLines(t))),
    ...actionBlocks(links),
  ])
}

/** For the unexpected: an answer Slack can show, never a 500. */
export function failureMessage(requestId: string): SlackMessage {
  return message('ephemeral', 'Sorry, the advisor failed to answer.', [
    section(`Sorry, the advisor failed to answer. If it keeps happening, quote request id \`${escapeMrkdwn(requestId)}\`.`),
  ])
}
