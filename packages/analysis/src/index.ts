// Canary analysis: what a step is judged by, how it is asked of Prometheus, and the verdict.
export {
  builtinMetrics,
  countQueries,
  parseMetrics,
  ratio,
  renderQuery,
  sideVars,
  type MetricSpec,
  type Provider,
  type QueryVars,
} from './metrics.js';
export { Prometheus, PrometheusError, type PrometheusOptions, type QueryValue } from './prometheus.js';
export {
  AnalysisLedger,
  certainFailure,
  judge,
  type AnalysisPolicy,
  type Decision,
  type Judgement,
  type Outcome,
  type Sample,
} from './verdict.js';
