// Where a `/cni` answer links to, and the Block Kit blocks that show it: link buttons in every answer (the
// advisor page, the CSV, all options) and, when Slack can fetch from PUBLIC_URL, the answer's chart as an
// image block. Image blocks take PNG, JPEG or GIF, never SVG: the chart routes draw both (/v1/charts/*.png).
// Pure: URLs in, blocks out.
//
// Limits from Slack's Block Kit reference (docs.slack.dev/reference/block-kit): an image block's image_url
// and a button's url at most 3000 characters, alt_text 2000, a button's text 75, action_id 255, at most
// 25 elements in an actions block. A link button still posts a block_actions payload to the app's
// interactivity URL, which must answer 200 (POST /slack/interactions does), or Slack shows a warning.
import type { CapacityQuery, MaxPodsQuery } from '../answers/answers.js'
import { CAPACITY_FIELDS, REQUIREMENT_FIELDS } from '../answers/inputs.js'
import type { Requirements } from '../domain/types.js'
import type { CommandName } from './commands.js'
import { capacityPlanLink, clip, maxPodsLink, queryOf, recommendationLink, type TextObject } from './blocks.js'

export const LINK_LIMITS = { url: 3000, altText: 2000, buttonText: 75, actionElements: 25 } as const

/** A link button: Slack opens `url` in the browser. */
export interface Button {
  type: 'button'
  text: TextObject
  url: string
  action_id: string
  style?: 'primary'
}
export type ImageBlock = { type: 'image'; image_url: string; alt_text: string }
export type ActionsBlock = { type: 'actions'; block_id: string; elements: Button[] }

/** Where an answer links to: the same answer over REST, the buttons, and the chart (null: no image block). */
export interface AnswerLinks {
  /** The same answer as JSON, linked from the context line. */
  details: string
  buttons: Array<{ id: string; label: string; url: string }>
  chart: { url: string; alt: string } | null
}

/** The chart as an image block; none when Slack cannot fetch it, or its URL is too long for Slack. */
export function imageBlocks(links: AnswerLinks): ImageBlock[] {
  const c = links.chart
  if (c === null || c.url.length > LINK_LIMITS.url) return []
  return [{ type: 'image', image_url: c.url, alt_text: clip(c.alt, LINK_LIMITS.altText) }]
}

/** The link buttons, the first one styled as the main action; a URL too long for Slack is left out. */
export function actionBlocks(links: AnswerLinks): ActionsBlock[] {
  const elements: Button[] = links.buttons
    .filter((b) => b.url.length <= LINK_LIMITS.url)
    .slice(0, LINK_LIMITS.actionElements)
    .map((b, i) => ({
      type: 'button',
      text: { type: 'plain_text', text: clip(b.label, LINK_LIMITS.buttonText), emoji: true },
      url: b.url,
      action_id: b.id,
      ...(i === 0 ? { style: 'primary' as const } : {}),
    }))
  return elements.length === 0 ? [] : [{ type: 'actions', block_id: 'links', elements }]
}

/** Chart width in Slack: its message column is about 720 CSS pixels wide on a desktop client. */
export const SLACK_CHART_WIDTH = 720
/** The pods-per-node chart draws at most 12 instance types. */
const CHART_TYPES = 12

const withQuery = (url: string, q: URLSearchParams): string => {
  const s = q.toString()
  return s ? `${url}?${s}` : url
}
const withFormat = (url: string, format: string): string => `${url}${url.includes('?') ? '&' : '?'}format=${encodeURIComponent(format)}`

/**
 * The advisor page for a question. It reads the requirement names, totalPods, podCpu and podMemoryMiB
 * from its query string and answers at once when instanceTypes or a requirement is there.
 */
function pageLink(publicUrl: string, params: URLSearchParams, instanceTypes: readonly string[]): string {
  const q = new URLSearchParams()
  if (instanceTypes.length > 0) q.set('instanceTypes', instanceTypes.join(','))
  for (const [k, v] of params) if (k !== 'instanceTypes') q.set(k, v)
  return withQuery(`${publicUrl}/`, q)
}

function podsChart(imageBaseUrl: string | null, instanceTypes: readonly string[], extra: Record<string, number | null>, alt: string): AnswerLinks['chart'] {
  if (imageBaseUrl === null || instanceTypes.length === 0) return null
  const q = new URLSearchParams({ instanceTypes: instanceTypes.slice(0, CHART_TYPES).join(',') })
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== 0) q.set(k, String(v))
  q.set('width', String(SLACK_CHART_WIDTH))
  return { url: withQuery(`${imageBaseUrl}/v1/charts/pods-per-node.png`, q), alt }
}

export function recommendationLinks(publicUrl: string, imageBaseUrl: string | null, req: Requirements): AnswerLinks {
  const details = recommendationLink(publicUrl, req)
  const types = req.instanceTypes.slice(0, CHART_TYPES)
  return {
    details,
    buttons: [
      { id: 'open-page', label: 'Open in the advisor', url: pageLink(publicUrl, queryOf(REQUIREMENT_FIELDS, req as unknown as Record<string, unknown>), req.instanceTypes) },
      { id: 'csv', label: 'CSV (every option)', url: withFormat(details, 'csv') },
      { id: 'all-options', label: 'All options (JSON)', url: details },
    ],
    chart: podsChart(imageBaseUrl, types, { daemonSetsPerNode: req.daemonSetsPerNode }, `Bar chart: pods per node in each networking mode on ${types.join(', ')}`),
  }
}

/** `family` is the type's family as the catalog has it, for the CSV of its siblings (null: the whole list). */
export function maxPodsLinks(publicUrl: string, imageBaseUrl: string | null, instanceType: string, q: MaxPodsQuery, family: string | null): AnswerLinks {
  const page = new URLSearchParams()
  if (q.daemonSetsPerNode) page.set('daemonSetsPerNode', String(q.daemonSetsPerNode))
  const csv = new URLSearchParams(family !== null ? { family } : {})
  csv.set('format', 'csv')
  return {
    details: maxPodsLink(publicUrl, instanceType, q),
    buttons: [
      { id: 'open-page', label: 'Open in the advisor', url: pageLink(publicUrl, page, [instanceType]) },
      { id: 'csv', label: family !== null ? `CSV (the ${family} family)` : 'CSV (every type)', url: withQuery(`${publicUrl}/v1/instance-types`, csv) },
      { id: 'all-options', label: 'All modes (JSON)', url: `${publicUrl}/v1/instance-types/${encodeURIComponent(instanceType)}` },
    ],
    // The chart draws Linux nodes: for Windows nodes it would show other numbers than the answer.
    chart:
      q.os === 'windows'
        ? null
        : podsChart(imageBaseUrl, [instanceType], { daemonSetsPerNode: q.daemonSetsPerNode, maxPodsCap: q.maxPodsCap }, `Bar chart: pods per node on ${instanceType} in each networking mode`),
  }
}

/** The plan fields the advisor page has controls for (public/index.html: its cost chart's form). */
const PAGE_PLAN_FIELDS = ['podCpu', 'podMemoryMiB', 'region', 'daemonSetsPerNode', 'podsPerNode', 'capacityType', 'arch', 'category', 'generation', 'minVcpu', 'minMemoryMiB', 'burstable', 'bareMetal'] as const

/** The plan's page link carries what the page has fields for; the CSV and JSON carry the whole question, every row. */
export function capacityPlanLinks(publicUrl: string, imageBaseUrl: string | null, q: CapacityQuery): AnswerLinks {
  const params = queryOf(CAPACITY_FIELDS, q)
  const every = new URLSearchParams(params)
  every.delete('limit')
  const page = new URLSearchParams({ totalPods: String(q.totalPods) })
  for (const k of PAGE_PLAN_FIELDS) if (params.has(k)) page.set(k, params.get(k)!)
  const types = q.instanceTypes !== null && q.instanceTypes.length <= CHART_TYPES ? q.instanceTypes : []
  // The page's cost chart compares the chosen types only when told to (its "Compare" control).
  if (types.length > 0) page.set('costScope', 'mine')
  let chart: AnswerLinks['chart'] = null
  if (imageBaseUrl !== null) {
    const c = new URLSearchParams(every)
    c.set('width', String(SLACK_CHART_WIDTH))
    chart = { url: withQuery(`${imageBaseUrl}/v1/charts/cost-per-pod.png`, c), alt: `Bar chart: $ per pod-month on the 10 cheapest instance types for ${q.totalPods} pods` }
  }
  const all = withQuery(`${publicUrl}/v1/capacity-plans`, every)
  return {
    details: capacityPlanLink(publicUrl, q),
    buttons: [
      { id: 'open-page', label: 'Open in the advisor', url: pageLink(publicUrl, page, types) },
      { id: 'csv', label: 'CSV (every row)', url: withFormat(all, 'csv') },
      { id: 'all-options', label: 'All instance types (JSON)', url: all },
    ],
    chart,
  }
}

/**
 * Help and usage errors link like every other answer: the advisor page (where every question can be
 * asked from a form), the API documentation (Swagger UI at /docs: every option of every question, with
 * its allowed values), and the JSON or CSV where the topic's choices are listed. There is no answer to
 * draw, so no chart. Without PUBLIC_URL the links use the local address, as every answer's do.
 */
export function helpLinks(publicUrl: string, topic: CommandName | null): AnswerLinks {
  const docs = `${publicUrl}/docs`
  const third: AnswerLinks['buttons'][number] =
    topic === 'maxpods'
      ? { id: 'csv', label: 'Max pods of every type (CSV)', url: `${publicUrl}/v1/instance-types?format=csv` }
      : topic === 'plan'
        ? { id: 'catalog', label: 'Regions with prices (JSON)', url: `${publicUrl}/v1/catalog` }
        : { id: 'all-options', label: 'All CNI options (JSON)', url: `${publicUrl}/v1/recommendations` }
  return {
    details: docs,
    buttons: [
      { id: 'open-page', label: 'Open the advisor', url: `${publicUrl}/` },
      { id: 'docs', label: 'All options (API docs)', url: docs },
      third,
    ],
    chart: null,
  }
}
