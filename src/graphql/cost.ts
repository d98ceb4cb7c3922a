// Query limits, checked before any GraphQL document runs. Three, in the order they are checked:
// - size: fragment spreads, aliases and field selections in the text. graphql-js's own validation
//   compares fields pairwise (OverlappingFieldsCanBeMergedRule), so a document must be refused on size
//   before those rules see it (plugin.ts checks these limits before graphql-js validates);
// - depth: field nesting, introspection included;
// - cost: what answering takes. Every field costs 1, introspection included; everything under a list
//   counts as many times as the list is long, by its real length (the catalog in use, the CNI options,
//   the schema's own sizes); capacityPlan and recommend also cost the rows and options they compute,
//   selected or not.
// Arguments are read from the document's literals. Variables are not seen (mercurius validates a text
// once and keeps the verdict for every later request of it), so one counts as its largest value.
// The work is linear in the document: each fragment is measured once, whatever spreads it and however
// often, so a chain of fragments that spread the next one twice costs what its text costs to read.
import {
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  isInputObjectType,
  isInterfaceType,
  isAbstractType,
  isEnumType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
  type DocumentNode,
  type ExecutableDefinitionNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql'
import { CAPACITY_FIELDS, REQUIREMENT_FIELDS } from '../answers/inputs.js'
import { CNI_OPTIONS } from '../domain/cni-options.js'
import { CRITERIA } from '../domain/scoring.js'

export interface QueryLimits {
  maxDepth: number
  maxCost: number
  /** Fragment spreads in the document's text (not expanded). */
  maxSpreads: number
  /** Aliased fields in the text: the way one field is asked for many times. */
  maxAliases: number
  /** Field selections in the text, aliased or not. */
  maxFields: number
}

/** What the cost needs to know of the catalog in use: its instance types (and their families) and regions. */
export interface CatalogSizes {
  readonly typeList: readonly { readonly family: string }[]
  readonly regions: readonly unknown[]
}

export interface LimitOptions {
  /** The catalog answers come from, read when a document is checked (its lists' lengths are the catalog's). */
  catalog: () => CatalogSizes
  /** Called once per selection (field, fragment spread, inline fragment) the rule examines. */
  onVisit?: () => void
}

/** Lists whose length the service itself fixes; a list neither here, nor the catalog's, nor introspection's counts as 10. */
const FIXED_LIST_SIZES: Record<string, number> = {
  'Recommendation.options': CNI_OPTIONS.length,
  'CniOption.criteria': CRITERIA.length,
}
const DEFAULT_LIST_SIZE = 10

/** An argument as the document gives it: a literal, a variable (not known at validation), or absent. */
const UNKNOWN = Symbol('variable')
type Given = ValueNode | typeof UNKNOWN | undefined

function argument(field: FieldNode, name: string): Given {
  const value = field.arguments?.find((a) => a.name.value === name)?.value
  return value?.kind === Kind.VARIABLE ? UNKNOWN : value?.kind === Kind.NULL ? undefined : value
}

function inputField(object: Given, name: string): Given {
  if (object === UNKNOWN) return UNKNOWN
  if (object?.kind !== Kind.OBJECT) return undefined
  const value = object.fields.find((f) => f.name.value === name)?.value
  return value?.kind === Kind.VARIABLE ? UNKNOWN : value?.kind === Kind.NULL ? undefined : value
}

/** Family sizes of a catalog version, counted once per version. */
const familySizes = new WeakMap<object, Map<string, number>>()
function familySize(catalog: CatalogSizes, family: string): number {
  let sizes = familySizes.get(catalog.typeList)
  if (!sizes) {
    sizes = new Map()
    for (const t of catalog.typeList) sizes.set(t.family, (sizes.get(t.family) ?? 0) + 1)
    familySizes.set(catalog.typeList, sizes)
  }
  return sizes.get(family) ?? 0
}

/**
 * The schema's own list lengths for introspection. A `__Type`'s lists count as their mean length over
 * all types (and a field's arguments as the mean over all fields): exact in total when a client lists
 * `__schema { types { fields ... } }`, which is what every introspection query does; the depth limit
 * bounds how far a single `__type` can go.
 */
const introspectionSizes = new WeakMap<GraphQLSchema, Record<string, number>>()
function introspectionSize(schema: GraphQLSchema, key: string): number | undefined {
  let sizes = introspectionSizes.get(schema)
  if (!sizes) {
    const types = Object.values(schema.getTypeMap())
    const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []))
    const directives = schema.getDirectives()
    const perType = (f: (t: GraphQLNamedType) => number) => types.reduce((n, t) => n + f(t), 0) / types.length
    sizes = {
      '__Schema.types': types.length,
      '__Schema.directives': directives.length,
      '__Type.fields': fields.length / types.length,
      '__Type.inputFields': perType((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0)),
      '__Type.enumValues': perType((t) => (isEnumType(t) ? t.getValues().length : 0)),
      '__Type.interfaces': perType((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
      '__Type.possibleTypes': perType((t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0)),
      '__Field.args': fields.reduce((n, f) => n + f.args.length, 0) / Math.max(1, fields.length),
      '__Directive.args': directives.reduce((n, d) => n + d.args.length, 0) / Math.max(1, directives.length),
    }
    introspectionSizes.set(schema, sizes)
  }
  return sizes[key]
}

const literalString = (v: Given) => (v !== UNKNOWN && v?.kind === Kind.STRING ? v.value : undefined)
const literalInt = (v: Given) => (v !== UNKNOWN && v?.kind === Kind.INT ? Number(v.value) : undefined)
const literalLength = (v: Given) => (v !== UNKNOWN && v?.kind === Kind.LIST ? v.values.length : undefined)

/**
 * Instance types a capacity plan computes a row for: the listed ones, else the family's, else the
 * whole catalog. A variable can be any of these, so it counts as the largest.
 */
function capacityCandidates(field: FieldNode, catalog: CatalogSizes): number {
  const input = argument(field, 'input')
  const types = inputField(input, 'instanceTypes')
  const family = literalString(inputField(input, 'family'))
  const familyCount = family === undefined ? undefined : familySize(catalog, family)
  // A plan has a row per type and mode: `modes` lists them (a variable: as many as there are).
  const modesGiven = inputField(input, 'modes')
  const modes = modesGiven === undefined ? 1 : modesGiven === UNKNOWN ? CAPACITY_FIELDS.modes.maxItems : Math.max(1, literalLength(modesGiven) ?? 1)
  if (types === UNKNOWN) return modes * Math.max(CAPACITY_FIELDS.instanceTypes.maxItems, catalog.typeList.length) // a list, or none
  const listed = literalLength(types)
  if (listed !== undefined) return modes * Math.min(listed, familyCount ?? Infinity)
  return modes * (familyCount ?? catalog.typeList.length)
}

function capacityRows(field: FieldNode, catalog: CatalogSizes): number {
  const limit = literalInt(inputField(argument(field, 'input'), 'limit'))
  const candidates = capacityCandidates(field, catalog)
  return limit === undefined ? candidates : Math.min(candidates, Math.max(0, limit))
}

/** Instance types a recommendation scores every option on (m5.large when none are given). */
function recommendTypes(field: FieldNode): number {
  const types = inputField(argument(field, 'requirements'), 'instanceTypes')
  if (types === UNKNOWN) return REQUIREMENT_FIELDS.instanceTypes.maxItems
  return Math.max(1, literalLength(types) ?? REQUIREMENT_FIELDS.instanceTypes.default.length)
}

/**
 * A field's own work (whatever is selected under it) and how many times its selection is answered
 * (the list's length, or 1). CapacityPlan.rows is not here: its length is the enclosing plan's.
 */
function fieldWeight(schema: GraphQLSchema, catalog: CatalogSizes, field: FieldNode, key: string, def: GraphQLField<unknown, unknown>): { own: number; items: number } {
  let own = 1
  if (key === 'Query.capacityPlan') own += capacityCandidates(field, catalog)
  else if (key === 'Query.recommend') own += CNI_OPTIONS.length * recommendTypes(field)
  if (!isListType(getNullableType(def.type))) return { own, items: 1 }
  let items: number
  if (key === 'Query.instanceTypes') {
    const family = literalString(argument(field, 'family'))
    items = family === undefined ? catalog.typeList.length : familySize(catalog, family)
  } else if (key === 'Catalog.regions') items = catalog.regions.length
  else items = FIXED_LIST_SIZES[key] ?? introspectionSize(schema, key) ?? DEFAULT_LIST_SIZE
  return { own, items }
}

interface Measure {
  cost: number
  /**
   * The cost of one capacity-plan row, for the plan around to multiply by its row count: a fragment on
   * CapacityPlan is measured once, without knowing which plan (and input) spreads it.
   */
  perRow: number
  depth: number
}

/** Spreads, aliases and fields in the text; stops reading at the first limit passed. */
function sizeError(document: DocumentNode, limits: QueryLimits, onVisit: () => void): GraphQLError | null {
  const count = { spreads: 0, aliases: 0, fields: 0 }
  let error: GraphQLError | null = null
  const over = (what: keyof typeof count, max: number, name: string) => {
    if (count[what] <= max) return undefined
    error = new GraphQLError(`the document has more than ${max} ${name}, the limit: send smaller documents`, {
      extensions: { code: 'QUERY_TOO_LARGE', limit: what, max },
    })
    return BREAK
  }
  visit(document, {
    Field(node) {
      onVisit()
      count.fields++
      if (node.alias) count.aliases++
      return over('fields', limits.maxFields, 'field selections') ?? over('aliases', limits.maxAliases, 'aliases')
    },
    FragmentSpread() {
      onVisit()
      count.spreads++
      return over('spreads', limits.maxSpreads, 'fragment spreads')
    },
  })
  return error
}

/**
 * The errors for a document, empty when it is within the limits. Unknown fields, fragments and cycles
 * are counted as they come (graphql's own rules report them); they never make the walk loop or grow.
 */
export function checkQueryLimits(schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits, options: LimitOptions): GraphQLError[] {
  const onVisit = options.onVisit ?? (() => {})
  const tooLarge = sizeError(document, limits, onVisit)
  if (tooLarge) return [tooLarge]
  const catalog = options.catalog()
  // Rows of no known plan (a CapacityPlan fragment spread where no plan is, which graphql reports).
  const worstRows = CAPACITY_FIELDS.modes.maxItems * Math.max(CAPACITY_FIELDS.instanceTypes.maxItems, catalog.typeList.length)
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def)

  // A fragment's selections are typed by its own type condition, so its cost and depth are the same
  // wherever it is spread: measured once, on first use. One still being measured is a cycle.
  const measured = new Map<string, Measure | 'measuring'>()
  const fragment = (name: string): Measure => {
    const known = measured.get(name)
    if (known === 'measuring') return { cost: 0, perRow: 0, depth: 0 }
    if (known) return known
    const def = fragments.get(name)
    if (!def) return { cost: 0, perRow: 0, depth: 0 }
    measured.set(name, 'measuring')
    const m = measure(def)
    measured.set(name, m)
    return m
  }

  // One walk per definition: each selection set adds up its selections, and a field closes its own.
  const measure = (definition: ExecutableDefinitionNode): Measure => {
    const typeInfo = new TypeInfo(schema)
    const open: Measure[] = [{ cost: 0, perRow: 0, depth: 0 }]
    const add = (m: Measure) => {
      const into = open[open.length - 1]!
      into.cost += m.cost
      into.perRow += m.perRow
      into.depth = Math.max(into.depth, m.depth)
    }
    visit(
      definition,
      visitWithTypeInfo(typeInfo, {
        Field: {
          enter() {
            onVisit()
            open.push({ cost: 0, perRow: 0, depth: 0 })
          },
          leave(node) {
            const inner = open.pop()!
            const parent = typeInfo.getParentType()
            const def = typeInfo.getFieldDef()
            const key = parent && def ? `${parent.name}.${def.name}` : ''
            if (key === 'CapacityPlan.rows') {
              add({ cost: 1, perRow: inner.cost, depth: 1 + inner.depth })
              return
            }
            const w = def ? fieldWeight(schema, catalog, node, key, def) : { own: 1, items: 1 }
            const rows = key === 'Query.capacityPlan' ? capacityRows(node, catalog) : worstRows
            add({ cost: w.own + w.items * (inner.cost + rows * inner.perRow), perRow: 0, depth: 1 + inner.depth })
          },
        },
        InlineFragment() {
          onVisit()
        },
        FragmentSpread(node) {
          onVisit()
          add(fragment(node.name.value))
        },
      }),
    )
    return open[0]!
  }

  const errors: GraphQLError[] = []
  for (const op of document.definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION) continue
    const m = measure(op)
    const cost = Math.ceil(m.cost + worstRows * m.perRow)
    const depth = m.depth
    if (depth > limits.maxDepth) {
      errors.push(
        new GraphQLError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
          nodes: [op],
          extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth: limits.maxDepth },
        }),
      )
    } else if (cost > limits.maxCost) {
      const shown = cost < 1e15 ? String(cost) : cost.toExponential(2)
      errors.push(
        new GraphQLError(
          `query cost ${shown} exceeds the limit of ${limits.maxCost}: ask for fewer fields or narrow the lists ` +
            '(e.g. instanceTypes(family: ...), capacityPlan(input: { instanceTypes: [...] }) or its limit)',
          { nodes: [op], extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost: limits.maxCost } },
        ),
      )
    }
  }
  return errors
}
