// Starts GraphiQL against this service's /graphql with an example that shows the nested fields.
/* global React, ReactDOM, GraphiQL */
const example = `# Pods per node and price for a family, in three modes, in one round trip
query Family {
  instanceTypes(family: "m5") {
    name
    vcpu
    price { usdPerHour }
    secondaryIp: maxPods(mode: SECONDARY_IP) { maxPods recommendedMaxPods }
    prefixDelegation: maxPods(mode: PREFIX_DELEGATION) { maxPods recommendedMaxPods }
    customNetworking: maxPods(mode: CUSTOM_NETWORKING) { maxPods }
  }
}

# Which CNI, and why
query Recommend {
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
