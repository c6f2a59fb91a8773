// What a canary step is judged by: the built-in metrics of a traffic provider (as Flagger defines
// them, so most users write no PromQL) and the user's own queries, with their bounds.
import { parseDocument } from 'yaml';
import { InputError, UserError, yamlErrorLine } from '@kubeline/runtime';

export interface MetricSpec {
  name: string;
  /** PromQL with {{variables}} (see QueryVars). */
  query: string;
  min?: number;
  max?: number;
  /** Built-in success rate: also read as error and request counts, for early abort. */
  kind?: 'success-rate' | 'latency' | 'custom';
  /**
   * Canary compared with stable: the query runs once per side ({{target}}, {{target-service}}) and
   * the bounds apply to canary ÷ stable.
   */
  relative?: boolean;
}

/** The names a query can use, e.g. `{{canary-service}}`. */
export interface QueryVars {
  namespace: string;
  canary: string;
  stable: string;
  'canary-service': string;
  'stable-service': string;
  route: string;
  /** A PromQL range, e.g. `60s`. */
  interval: string;
  /** The side a query measures: the canary, or stable for a relative metric's second run. */
  target: string;
  'target-service': string;
}

/** The variables for one side of a comparison (the canary's unless `stable`). */
export function sideVars(
  vars: Omit<QueryVars, 'target' | 'target-service'>,
  side: 'canary' | 'stable',
): QueryVars {
  return side === 'canary'
    ? { ...vars, target: vars.canary, 'target-service': vars['canary-service'] }
    : { ...vars, target: vars.stable, 'target-service': vars['stable-service'] };
}

/** canary ÷ stable, with 0 ÷ 0 = 1 (both idle); undefined when either side has no data. */
export function ratio(canary: number | undefined, stable: number | undefined): number | undefined {
  if (canary === undefined || stable === undefined) return undefined;
  if (stable === 0) return canary === 0 ? 1 : Infinity;
  return canary / stable;
}

export type Provider = 'traefik' | 'istio' | 'nginx' | 'none';

/** Per provider: the canary's requests (a histogram count or counter) as a selector. */
const REQUESTS: Record<Exclude<Provider, 'none'>, { series: string; selector: string; code: string }> = {
  // Traefik 3.7 labels a Gateway API backend `httproute-<ns>-<route>-…-svc-<ns>-<svc>-<index>@kubernetesgateway`
  // (seen on the stack); 3.6 and before, `<ns>-<svc>-<port name>-<port>@kubernetesgateway`.
  traefik: {
    series: 'traefik_service_request_duration_seconds',
    selector:
      'service=~"(httproute-.*-svc-{{namespace}}-{{canary-service}}-[0-9]+|{{namespace}}-{{canary-service}}-[a-z0-9-]+-[0-9]+)@kubernetesgateway"',
    code: 'code',
  },
  istio: {
    series: 'istio_request_duration_milliseconds',
    selector:
      'reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{canary}}"',
    code: 'response_code',
  },
  nginx: {
    series: 'nginx_ingress_controller_request_duration_seconds',
    selector: 'namespace="{{namespace}}",canary!=""',
    code: 'status',
  },
};

/** PromQL of the canary's request count and 5xx count over `{{interval}}` (undefined: no provider). */
export function countQueries(provider: Provider): { requests: string; errors: string } | undefined {
  if (provider === 'none') return undefined;
  const p = REQUESTS[provider];
  const all = `${p.series}_count{${p.selector}}`;
  const errors = `${p.series}_count{${p.selector},${p.code}=~"5.."}`;
  return {
    requests: `sum(increase(${all}[{{interval}}]))`,
    errors: `sum(increase(${errors}[{{interval}}])) or vector(0)`,
  };
}

/** Success rate (percent of non-5xx) and p99 latency (milliseconds) of the canary, as Flagger has them. */
export function builtinMetrics(
  provider: Provider,
  bounds: { successRateMin?: number; latencyP99MaxMs?: number },
): MetricSpec[] {
  if (provider === 'none') return [];
  const p = REQUESTS[provider];
  const metrics: MetricSpec[] = [];
  if (bounds.successRateMin !== undefined) {
    const ok = `sum(rate(${p.series}_count{${p.selector},${p.code}!~"5.."}[{{interval}}]))`;
    const all = `sum(rate(${p.series}_count{${p.selector}}[{{interval}}]))`;
    metrics.push({
      name: 'success-rate',
      kind: 'success-rate',
      query: `${ok} / ${all} * 100`,
      min: bounds.successRateMin,
    });
  }
  if (bounds.latencyP99MaxMs !== undefined) {
    // Istio's histogram is in milliseconds already; the others are in seconds.
    const scale = provider === 'istio' ? '' : ' * 1000';
    metrics.push({
      name: 'latency-p99-ms',
      kind: 'latency',
      query: `histogram_quantile(0.99, sum(rate(${p.series}_bucket{${p.selector}}[{{interval}}])) by (le))${scale}`,
      max: bounds.latencyP99MaxMs,
    });
  }
  return metrics;
}

// Any word: a typo such as {{canary_service}} or {{Namespace}} is refused, not sent as it is.
const VAR = /\{\{\s*([\w-]+)\s*\}\}/g;

/** Fills `{{name}}`; an unknown name is the user's mistake, named with the metric. */
export function renderQuery(metric: Pick<MetricSpec, 'name' | 'query'>, vars: QueryVars): string {
  return metric.query.replace(VAR, (_, name: string) => {
    // Own keys only: {{constructor}} is not Object's.
    const value = Object.hasOwn(vars, name) ? (vars as unknown as Record<string, string>)[name] : undefined;
    if (value === undefined)
      throw new UserError(
        `metric ${metric.name}: unknown variable {{${name}}}; known: ${Object.keys(vars)
          .map((k) => `{{${k}}}`)
          .join(', ')}`,
      );
    // Values are Kubernetes names and durations: nothing that could end a PromQL string.
    return value;
  });
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function metricAt(item: unknown, i: number, input: string, shown: string): MetricSpec {
  const fail = (why: string): never => {
    throw new InputError(input, shown, `item ${i + 1}: ${why}`);
  };
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    return fail('each metric is a mapping {name, query, min, max}');
  const m = item as Record<string, unknown>;
  for (const key of Object.keys(m))
    if (!['name', 'query', 'min', 'max', 'relative'].includes(key))
      fail(`unknown key "${key}" (allowed: name, query, min, max, relative)`);
  if (typeof m.name !== 'string' || !NAME.test(m.name))
    fail('"name" must be lowercase letters, digits and dashes');
  if (typeof m.query !== 'string' || !m.query.trim()) fail('"query" must be a PromQL expression');
  for (const bound of ['min', 'max'] as const)
    if (m[bound] !== undefined && (typeof m[bound] !== 'number' || !Number.isFinite(m[bound])))
      fail(`"${bound}" must be a number`);
  if (m.min === undefined && m.max === undefined) fail('a metric needs "min", "max" or both');
  if (m.relative !== undefined && typeof m.relative !== 'boolean') fail('"relative" must be true or false');
  if (m.relative && !/\{\{\s*target(-service)?\s*\}\}/.test(String(m.query)))
    fail(
      'a relative metric compares canary with stable: its query must use {{target}} or {{target-service}}',
    );
  return {
    name: m.name as string,
    query: (m.query as string).trim(),
    min: m.min as number | undefined,
    max: m.max as number | undefined,
    kind: 'custom',
    ...(m.relative ? { relative: true } : {}),
  };
}

/** The `metrics` input: a YAML list; aliases are refused (no billion laughs), names are unique. */
export function parseMetrics(raw: string, input = 'metrics'): MetricSpec[] {
  const text = raw.trim();
  if (!text) return [];
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length)
    throw new InputError(input, shown, `it must be a YAML list${yamlErrorLine(doc.errors[0]!, text)}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    throw new InputError(
      input,
      shown,
      `it must be a YAML list without aliases (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (!Array.isArray(value))
    throw new InputError(input, shown, 'it must be a YAML list of {name, query, min, max}');
  if (value.length > 50) throw new InputError(input, shown, 'at most 50 metrics');
  const metrics = value.map((item, i) => metricAt(item, i, input, shown));
  const seen = new Set<string>();
  for (const m of metrics) {
    if (seen.has(m.name)) throw new InputError(input, shown, `metric name "${m.name}" is used twice`);
    seen.add(m.name);
  }
  return metrics;
}
