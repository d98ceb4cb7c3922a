// The shapes of the answers, as JSON Schemas with names: each is added once to fastify (addSchema, see
// addSharedSchemas) and used by `$ref` (`ref('MaxPods')`), so OpenAPI shows it as a named
// `components.schemas` entry that client generators turn into one type, and fastify serialises with it.
// Shapes follow CONTRACT.md; fields may be added, never renamed or removed.
//
// @fastify/swagger names a shared schema after what its refResolver.buildLocalReference returns
// (app.ts gives back the $id), so `{ $ref: 'MaxPods#' }` is `#/components/schemas/MaxPods` in /docs/json.
import type { FastifyInstance } from 'fastify'
import { CAPACITY_FIELDS, FORMAT_FIELD, REQUIREMENT_FIELDS } from '../answers/inputs.js'
import { CNI_OPTIONS } from '../domain/cni-options.js'
import { CAPACITY_TYPES, MODES, PLUGINS } from '../domain/types.js'
import { toCsv } from './csv.js'
import { errorSchema } from './errors.js'
import { bodySchema } from './input.js'

const camel = (mode: string): string => mode.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

const nullable = (type: string) => ({ type: [type, 'null'] })
/** An object that may carry more fields than it declares (they are documented where they are made). */
const open = { type: 'object', additionalProperties: true } as const

const perMode = {
  type: 'object',
  properties: Object.fromEntries(MODES.map((m) => [camel(m), nullable('integer')])),
}

export const instanceTypeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    family: { type: 'string' },
    vcpu: nullable('integer'),
    memoryMiB: nullable('integer'),
    arch: nullable('string'),
    maxEnis: { type: 'integer', description: 'ENIs on the default network card (what the VPC CNI uses)' },
    ipv4PerEni: { type: 'integer', description: 'IPv4 addresses per ENI, the primary included' },
    networkCards: { type: 'integer' },
    maxEnisAllCards: { type: 'integer' },
    ipv6Supported: { type: 'boolean' },
    hypervisor: nullable('string'),
    bareMetal: { type: 'boolean' },
    trunking: { type: 'boolean', description: 'Can run security groups for pods (trunk ENI)' },
    branchEnis: { type: 'integer', description: 'Pods with their own security groups per node' },
    encryptionInTransit: nullable('boolean'),
    networkPerformance: nullable('string'),
    networkBandwidthMbps: nullable('integer'),
    eksNode: { type: 'boolean', description: 'Can be an EKS node (false for EC2 Mac instances, which run macOS only)' },
    price: {
      type: ['object', 'null'],
      properties: {
        region: { type: 'string' },
        capacityType: { type: 'string', enum: [...CAPACITY_TYPES], description: 'Which price: the question\'s capacityType (default on-demand)' },
        usdPerHour: { type: 'number' },
        source: { type: 'string' },
        asOf: { type: 'string' },
      },
    },
    maxPods: { ...perMode, description: 'Address-bound max pods per mode; null where the mode cannot run' },
    recommendedMaxPods: { ...perMode, description: 'After the EKS guidance cap (110 up to 30 vCPUs, 250 above)' },
  },
}

const catalogStampSchema = {
  type: 'object',
  description: 'Which catalog version answered, and how old the region\'s prices are',
  properties: {
    version: { type: 'integer' },
    region: { type: 'string' },
    pricesAsOf: { type: ['string', 'null'], description: 'The oldest as-of date of the region\'s prices; null without prices' },
    priceAgeDays: { type: ['integer', 'null'] },
    stale: { type: 'boolean', description: 'Prices older than PRICE_MAX_AGE_DAYS, or no prices for the region' },
  },
  additionalProperties: true,
}

export const maxPodsSchema = {
  type: 'object',
  properties: {
    instanceType: { type: 'string' },
    mode: { type: 'string' },
    os: { type: 'string', enum: ['linux', 'windows'] },
    supported: { type: 'boolean' },
    reason: nullable('string'),
    maxPods: nullable('integer'),
    recommendedMaxPods: nullable('integer'),
    podsForWorkloads: nullable('integer'),
    hostNetworkPods: { type: 'integer' },
    cap: { type: ['object', 'null'], properties: { value: { type: 'integer' }, reason: { type: 'string' } } },
    formula: { type: 'string' },
    explanation: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
  },
}

const instanceTypeListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { $ref: 'InstanceType#' } },
    nextCursor: { type: ['string', 'null'], description: 'The cursor of the next page; null on the last' },
    totalItems: { type: 'integer', description: 'Items in the whole filtered list' },
    limit: { type: 'integer' },
    catalog: { $ref: 'CatalogStamp#' },
  },
}

const capacityRowSchema = {
  type: 'object',
  properties: {
    instanceType: { type: 'string' },
    mode: { type: 'string' },
    reason: { type: ['string', 'null'], description: 'Why the type cannot serve the workload (numbers are then null)' },
    podsPerNode: { type: ['integer', 'null'], description: 'Workload pods per node (host-network and DaemonSet pods not counted)' },
    limitedBy: { type: ['string', 'null'], enum: ['ips', 'cpu', 'memory', 'kubelet', null] },
    limits: {
      type: ['object', 'null'],
      properties: {
        ips: { type: ['integer', 'null'] },
        cpu: { type: 'integer' },
        memory: { type: 'integer' },
        kubelet: { type: 'integer' },
      },
    },
    allocatableCpuMilli: { type: ['integer', 'null'] },
    allocatableMemoryMiB: { type: ['integer', 'null'] },
    nodes: { type: ['integer', 'null'] },
    vpcIps: { type: ['integer', 'null'], description: 'VPC IPv4 addresses of all nodes, warm pool included' },
    usdPerHour: { type: ['number', 'null'] },
    monthlyUsd: { type: ['number', 'null'], description: 'nodes × usdPerHour × 730' },
    usdPerPodMonth: { type: ['number', 'null'], description: 'monthlyUsd ÷ totalPods' },
    ebsMonthlyUsd: { type: ['number', 'null'], description: 'With ebsGiB: nodes × ebsGiB × the region\'s gp3 $/GB-month (null where the catalog has no gp3 price)' },
    clusterFeeMonthlyUsd: { type: ['number', 'null'], description: 'With clusterFee: the EKS control-plane fee × 730 h (per cluster, the same in every row)' },
    totalMonthlyUsd: { type: ['number', 'null'], description: 'With ebsGiB or clusterFee: monthlyUsd + ebsMonthlyUsd + clusterFeeMonthlyUsd, when all are known' },
    formula: { type: 'string' },
    explanation: { type: 'string' },
    notes: { type: 'array', items: { type: 'string' } },
  },
}

const capacityPlanSchema = {
  type: 'object',
  properties: {
    input: { ...open, description: 'The question as understood: every field with its default filled in' },
    modes: { type: 'array', items: { type: 'string' }, description: 'The modes compared: one row per instance type and mode' },
    filters: { ...open, description: 'The filters applied to the candidate types, with what was assumed (a whole-catalog plan: arch amd64)' },
    region: { type: 'string' },
    totalRows: { type: 'integer' },
    pricing: {
      type: 'object',
      description: 'How many of the types that can serve have a price in the region; only when all do is the first row the cheapest',
      properties: {
        region: { type: 'string' },
        capacityType: { type: 'string' },
        types: { type: 'integer' },
        priced: { type: 'integer' },
        complete: { type: 'boolean' },
        ranking: { type: 'string', enum: ['cost', 'nodes'], description: 'cost: priced rows by monthly cost, then unpriced by nodes; nodes: no row has a price' },
        summary: { type: 'string', description: '"N of M types priced in <region> (on-demand)"' },
        hint: { type: ['string', 'null'], description: 'How to get the missing prices (a catalog refresh); null when none are missing' },
        sources: { type: 'array', items: { type: 'string' }, description: 'Where the region\'s prices of this kind come from (aws-pricing-api, aws-ec2-spot-price-history, the seed); empty when it has none' },
        asOf: { type: ['string', 'null'], description: 'The oldest of those prices (ISO time); null when the region has none of this kind' },
      },
    },
    assumptions: { type: 'array', items: { type: 'string' }, description: 'What was assumed that the question did not say' },
    explanation: { type: 'string', description: 'How the rows are ordered and what the prices allow to be said' },
    rows: { type: 'array', items: { $ref: 'CapacityRow#' } },
    catalog: { $ref: 'CatalogStamp#' },
    references: { type: 'array', items: { type: 'string' } },
  },
}

const cniOptionSchema = {
  type: 'object',
  properties: {
    // The ids the knowledge base has (CONTRACT.md: <plugin>-<variant>); more may be added, none renamed.
    id: { type: 'string', enum: CNI_OPTIONS.map((o) => o.id), description: 'The option, `<plugin>-<variant>`' },
    plugin: { type: 'string', enum: [...PLUGINS] },
    variant: { type: 'string' },
    name: { type: 'string' },
    score: { type: 'integer', minimum: 0, maximum: 100 },
    verdict: { type: 'string', enum: ['recommended', 'suitable', 'blocked'] },
    blockers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          criterion: { type: 'string', description: 'The unmet need: a requirement name, density, podIpBudget, or maintenance (an archived project)' },
          reason: { type: 'string' },
        },
      },
    },
    criteria: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          criterion: { type: 'string' },
          weight: { type: 'number' },
          score: { type: 'number' },
          reason: { type: 'string' },
        },
      },
    },
    density: { ...open, description: 'Pods per node and VPC addresses per node for the option on the first instance type' },
    caveats: { type: 'array', items: { type: 'string' } },
    explanation: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
    configuration: {
      anyOf: [{ $ref: 'Configuration#' }, { type: 'null' }],
      description: 'What to apply to run the option (src/domain/configuration.ts); null for a blocked option',
    },
  },
}

// Ready-to-apply configuration of an option (src/domain/configuration.ts).
const configurationSchema = {
  type: 'object',
  properties: {
    summary: { type: 'string' },
    maxPods: { type: ['integer', 'null'], description: 'The max pods the fragments set; null when none does or it does not apply' },
    maxPodsReason: { type: 'string' },
    perInstanceType: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          instanceType: { type: 'string' },
          mode: { type: 'string' },
          maxPods: { type: ['integer', 'null'] },
          nodeadmDefault: { type: 'integer', description: 'What nodeadm would set by itself: ENIs × (IPv4 per ENI − 1) + 2' },
          formula: { type: 'string' },
        },
      },
    },
    steps: { type: 'array', items: { type: 'string' }, description: 'What to do, in order' },
    artifacts: { type: 'array', items: { $ref: 'ConfigArtifact#' } },
    references: { type: 'array', items: { type: 'string' } },
  },
}

const configArtifactSchema = {
  type: 'object',
  description: 'One file to apply: JSON or YAML that parses, with the command that applies it and a reason for each value',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', description: 'vpc-cni-addon, eksctl, karpenter, nodeadm, helm or manifest' },
    title: { type: 'string' },
    format: { type: 'string', enum: ['json', 'yaml'] },
    filename: { type: 'string' },
    apply: { type: 'string', description: 'The command that applies it (placeholders in CAPITALS or my-cluster)' },
    content: { type: 'string' },
    values: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string', description: 'A dotted path into the file' }, value: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    references: { type: 'array', items: { type: 'string' } },
  },
}

const recommendationSchema = {
  type: 'object',
  properties: {
    recommendation: { anyOf: [{ $ref: 'CniOption#' }, { type: 'null' }], description: 'The best option that meets every required need; null when none does' },
    satisfiable: { type: 'boolean' },
    options: { type: 'array', items: { $ref: 'CniOption#' }, description: 'Every option, best first' },
    summary: { type: 'string' },
    requirements: { ...open, description: 'The requirements as understood: every field with its default filled in' },
    catalog: { $ref: 'CatalogStamp#' },
  },
}

const catalogSummarySchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    createdAt: { type: 'string' },
    source: { type: 'string', description: 'seed, or aws after a refresh' },
    instanceTypes: { type: 'integer' },
    prices: { type: 'integer' },
    priceMaxAgeDays: { type: 'integer' },
    stale: { type: 'boolean', description: 'true when any region\'s prices are older than priceMaxAgeDays' },
    regions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          region: { type: 'string' },
          prices: { type: 'integer' },
          pricesAsOf: { type: 'string' },
          newestAsOf: { type: 'string' },
          priceAgeDays: { type: 'integer' },
          stale: { type: 'boolean' },
          sources: { type: 'array', items: { type: 'string' } },
          byCapacityType: {
            type: 'object',
            description: 'Per capacity type the region has prices of (on-demand, spot, reserved-1y): how many types, and their dates',
            additionalProperties: {
              type: 'object',
              properties: {
                prices: { type: 'integer' },
                pricesAsOf: { type: 'string', description: 'the oldest as-of among them' },
                newestAsOf: { type: 'string' },
                sources: { type: 'array', items: { type: 'string' } },
              },
              required: ['prices', 'pricesAsOf', 'newestAsOf', 'sources'],
            },
          },
          gp3: {
            type: ['object', 'null'],
            description: 'The region\'s gp3 storage price per GB-month (the node overhead ebsGiB is priced at), or null',
            properties: { usdPerGbMonth: { type: 'number' }, source: { type: 'string' }, asOf: { type: 'string' } },
            required: ['usdPerGbMonth', 'source', 'asOf'],
          },
        },
      },
    },
  },
}

/**
 * The named shapes. A name is part of the contract once published (generated clients use it as a type
 * name): add names, never rename one.
 */
export const SHARED_SCHEMAS = {
  Error: { ...errorSchema, description: 'Every error answer: the status, its name, a message naming the field and what is allowed' },
  CatalogStamp: catalogStampSchema,
  InstanceType: instanceTypeSchema,
  InstanceTypeList: instanceTypeListSchema,
  MaxPods: maxPodsSchema,
  CapacityRow: capacityRowSchema,
  CapacityPlan: capacityPlanSchema,
  CapacityPlanInput: { ...bodySchema(CAPACITY_FIELDS), required: ['totalPods'], description: 'A capacity-plan question (POST body); the GET query takes the same fields' },
  CniOption: cniOptionSchema,
  Configuration: configurationSchema,
  ConfigArtifact: configArtifactSchema,
  Recommendation: recommendationSchema,
  Requirements: { ...bodySchema(REQUIREMENT_FIELDS), description: 'What the cluster needs (POST body; {} takes every default); the GET query takes the same fields' },
  CatalogSummary: catalogSummarySchema,
} as const

export type SchemaName = keyof typeof SHARED_SCHEMAS | (string & {})

/** A reference to a named shape, as fastify and @fastify/swagger resolve it. */
export const ref = (name: SchemaName) => ({ $ref: `${name}#` })

/**
 * Adds every named shape to fastify, once, at the root: every route (and every encapsulated door)
 * can then use `ref(name)`, and @fastify/swagger lists them under components.schemas.
 */
export function addSharedSchemas(app: FastifyInstance, extra: Record<string, object> = {}): void {
  for (const [name, schema] of Object.entries({ ...SHARED_SCHEMAS, ...extra })) app.addSchema({ $id: name, ...schema })
}

// ---------------------------------------------------------------------------------------------
// Responses, as route schemas write them
// ---------------------------------------------------------------------------------------------

/** The security of the admin routes and the GraphQL mutation: `Authorization: Bearer <ADMIN_TOKEN>` (docs.ts defines the scheme). */
export const ADMIN_SECURITY = [{ adminToken: [] }]

/** Media types a route may answer in, besides JSON. */
export const CSV_MEDIA = 'text/csv'
export const XLSX_MEDIA = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/**
 * The headers of an answer that can be asked again conditionally (src/http/conditional.ts): the
 * validators, and how long it may be kept.
 */
export const CACHE_HEADERS = {
  etag: {
    type: 'string',
    description: 'A weak validator (W/"…") of the catalog version and the question; send it back in If-None-Match',
  },
  'last-modified': {
    type: 'string',
    description: 'When the answer last changed: the catalog version\'s time, or the day its price age last moved; send it back in If-Modified-Since',
  },
  'cache-control': {
    type: 'string',
    description: 'public, max-age=N: at most CACHE_MAX_AGE_SECONDS, and never past the moment the answer\'s price age moves',
  },
} as const

/** The formats the `format` query parameter offers (another door may add more; the document follows). */
const formats = (): readonly string[] => (FORMAT_FIELD.format as { enum: readonly string[] }).enum

/**
 * The 200 of a question asked by GET or POST: JSON shaped as `name`, and with `spreadsheet` (the route's
 * CSV columns) the CSV of the same answer, its header row as the example, and the workbook when
 * `format` offers xlsx.
 */
export function answerResponse(name: SchemaName, description: string, opts: { spreadsheet?: readonly { name: string }[]; conditional?: boolean } = {}) {
  const content: Record<string, { schema: object; example?: string }> = { 'application/json': { schema: ref(name) } }
  if (opts.spreadsheet) {
    content[CSV_MEDIA] = {
      schema: { type: 'string', description: 'RFC 4180 CSV, UTF-8, CRLF, a header row of snake_case names' },
      example: toCsv(opts.spreadsheet.map((c) => ({ name: c.name, value: () => null })), []),
    }
    if (formats().includes('xlsx')) content[XLSX_MEDIA] = { schema: { type: 'string', format: 'binary', description: 'An Excel workbook of the same rows (format=xlsx)' } }
  }
  return { description, ...(opts.conditional === false ? {} : { headers: CACHE_HEADERS }), content }
}

/** The 304 of a conditional GET: no body, the validators again. */
export const NOT_MODIFIED = {
  description:
    'Not Modified: If-None-Match names this answer\'s ETag (or If-Modified-Since is no earlier than its Last-Modified); ' +
    'no body, use the copy you have',
  type: 'null',
  headers: CACHE_HEADERS,
}

/** What each error status means wherever it is documented. */
const ERROR_WORDS: Record<number, string> = {
  400: 'Bad Request: a field is wrong; `field` names it and `message` says what is allowed',
  401: 'Unauthorized: no bearer token, or not the ADMIN_TOKEN',
  403: 'Forbidden',
  404: 'Not Found: an instance type or family the catalog does not have; the message names the nearest ones',
  409: 'Conflict: another replica is refreshing the catalog',
  413: 'Payload Too Large: the body is over the limit',
  414: 'URI Too Long: the URL is over 8192 characters, or a name in the path over 200',
  415: 'Unsupported Media Type: the body is not of a type the route reads',
  422: 'Unprocessable: the refresh result failed the sanity gate; nothing was written',
  429: 'Too Many Requests: over RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_SECONDS from one client (Retry-After says when to retry)',
  502: 'Bad Gateway: AWS answered with an error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout: the run outlasted REFRESH_TIMEOUT_SECONDS',
}

/** Error answers, each with the shared Error shape: `errorResponses(400, 404)`. */
export function errorResponses(...statuses: number[]): Record<number, { description: string; content: { 'application/json': { schema: object } } }> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(s)]))
}

export function errorResponse(status: number, description = ERROR_WORDS[status] ?? 'Error') {
  return { description, content: { 'application/json': { schema: ref('Error') } } }
}
