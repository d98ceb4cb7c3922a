// The recommendation engine: which CNI option fits a team's requirements, and why. Pure and
// deterministic: no I/O, no clock, no randomness; the same requirements and catalog give the same answer.
//
// How it reasons (the networking facts team's DOMAIN.md, "How a recommendation should reason", and the sources in cni-options.ts):
// 1. Hard constraints: every `required` need, fargate/windows = true, a podsPerNode the option must reach
//    on every requested instance type, and a podIpBudget the cluster must fit in. An option failing one
//    is `blocked`, with exactly one blocker per unmet need.
// 2. Weighted criteria (WEIGHTS): each gives a 0-100 score and a reason; the option's score is their
//    weighted mean. Weights are the same for every option of one request, so scores compare.
// 3. Ranking: unblocked before blocked, then score, then lower operational complexity, then id.
//
// This file is the engine's public face: importers use it and nothing under ./scoring/. The engine:
// - scoring/model.ts: CRITERIA, WEIGHTS and the shapes of an answer;
// - scoring/option-density.ts: the mode, pods per node and VPC addresses of an option on the requested types;
// - scoring/criteria.ts: the table of criterion rules, one module per criterion (performance.ts,
//   density.ts, pod-ip-budget.ts, encryption.ts, level-needs.ts, operational-simplicity.ts, support-health.ts);
// - scoring/evaluate.ts: one option, judged by the table plus the platform rules (maintenance, fargate, windows);
// - scoring/rank.ts, scoring/explain.ts, scoring/recommend.ts: the order, the words, the entry point.
export {
  CRITERIA,
  WEIGHTS,
  type Blocker,
  type BlockerCriterion,
  type CatalogView,
  type Criterion,
  type CriterionScore,
  type InstanceDensity,
  type OptionDensity,
  type RecommendationCore,
  type ScoredOption,
  type Verdict,
} from './scoring/model.js'
export { recommend } from './scoring/recommend.js'
