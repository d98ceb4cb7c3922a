// Starts GraphiQL against this service's /graphql with one example query (one operation, so the run
// button runs it at once) that shows the nested fields and aliases.
/* global React, ReactDOM, GraphiQL */
const example = `# Press ▶ (or Ctrl-Enter) to run. One query, three answers in one round trip:
# pods per node and price for the m5 family in three modes, then which CNI fits and why.
# Ctrl-Space lists the fields at the cursor; the Docs panel (top left) has the whole schema.
query Advise {
  instanceTypes(family: "m5") {
    name
    vcpu
    price { usdPerHour }
    secondaryIp: maxPods(mode: SECONDARY_IP) { maxPods recommendedMaxPods }
    prefixDelegation: maxPods(mode: PREFIX_DELEGATION) { maxPods recommendedMaxPods }
    customNetworking: maxPods(mode: CUSTOM_NETWORKING) { maxPods }
  }
  recommend(requirements: { multicast: REQUIRED, encryption: PREFERRED, instanceTypes: ["m5.large"], podsPerNode: 50 }) {
    summary
    recommendation { id score explanation }
    options { id score verdict blockers { criterion reason } }
    catalog { version pricesAsOf stale }
  }
}
`
const fetcher = GraphiQL.createFetcher({ url: '/graphql' })
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery: example, defaultEditorToolsVisibility: true }),
)
