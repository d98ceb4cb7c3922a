// Query limits. Depth: nesting, introspection included. Cost (introspection not counted, so GraphiQL
// and code generators work): every field costs 1, and everything under a list field counts as many times as the
// list is expected to be long. Depth alone does not stop a wide query (all instance types × every
// nested field); this does, with an error that says the cost and the limit.
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  Kind,
  type GraphQLNamedType,
  type SelectionSetNode,
  type ValidationContext,
  type ASTVisitor,
} from 'graphql'

/** Expected lengths of list fields, by `Type.field`; other lists count as 10. */
const LIST_SIZES: Record<string, number> = {
  'Query.instanceTypes': 100,
  'Recommendation.options': 14,
  'CapacityPlan.rows': 100,
}
const DEFAULT_LIST_SIZE = 10

/**
 * Depth of a selection. The schema has no cycles, so only introspection (`ofType { ofType { ... } }`)
 * can nest without end; the limit sits just above GraphiQL's own introspection query (15).
 */
function depthOf(selectionSet: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let deepest = 0
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) {
      deepest = Math.max(deepest, 1 + (sel.selectionSet ? depthOf(sel.selectionSet, context, seen) : 0))
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(sel.selectionSet, context, seen))
    } else {
      const fragment = context.getFragment(sel.name.value)
      if (fragment && !seen.has(sel.name.value)) deepest = Math.max(deepest, depthOf(fragment.selectionSet, context, new Set([...seen, sel.name.value])))
    }
  }
  return deepest
}

export function queryLimitsRule(maxDepth: number, maxCost: number) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema()
    const costOf = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, seen: Set<string>): number => {
      if (!isObjectType(parent)) return 0
      let cost = 0
      for (const sel of selectionSet.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue
          const def = parent.getFields()[sel.name.value]
          if (!def) continue
          const type = getNullableType(def.type)
          const factor = isListType(type) ? (LIST_SIZES[`${parent.name}.${def.name}`] ?? DEFAULT_LIST_SIZE) : 1
          cost += 1 + (sel.selectionSet ? factor * costOf(sel.selectionSet, getNamedType(def.type), seen) : 0)
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent
          if (on) cost += costOf(sel.selectionSet, on, seen)
        } else {
          const name = sel.name.value
          const fragment = context.getFragment(name)
          if (!fragment || seen.has(name)) continue // cycles are reported by graphql's own rules
          const on = schema.getType(fragment.typeCondition.name.value)
          if (on) cost += costOf(fragment.selectionSet, on, new Set([...seen, name]))
        }
      }
      return cost
    }
    return {
      OperationDefinition(node) {
        const root = node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'query' ? schema.getQueryType() : null
        if (!root) return
        const depth = depthOf(node.selectionSet, context, new Set())
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth },
            }),
          )
          return
        }
        const cost = costOf(node.selectionSet, root, new Set())
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(`query cost ${cost} exceeds the limit of ${maxCost}: ask for fewer fields or narrow the lists (e.g. instanceTypes(family: ...))`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost },
            }),
          )
        }
      },
    }
  }
}
