// The rollout's plan from the inputs (pure): the weight schedule, what each step is judged by and
// the limits. Everything here fails before the cluster is touched.
import { InputError, splitList } from '@kubeline/runtime';
import {
  builtinMetrics,
  countQueries,
  parseMetrics,
  type AnalysisPolicy,
  type MetricSpec,
  type Provider,
} from '@kubeline/analysis';
import { parseWebhooks, type AbMatch, type Webhook } from '@kubeline/canary';
import { signatureVerifier, type Verifier } from '@kubeline/signing';
import type { Inputs } from './inputs.js';

export type Step = { kind: 'weight'; weight: number } | { kind: 'pause'; weight: number };

export const DEFAULT_STEPS = '5,25,50,100';

/** `5,25,50,100` (with `pause` items), or step-weight up to max-weight; weights strictly increase. */
export function parseSteps(steps: string, stepWeight?: number, maxWeight = 50, zeroFirst = false): Step[] {
  if (steps.trim() && stepWeight !== undefined)
    throw new InputError('step-weight', String(stepWeight), 'set either steps or step-weight, not both');
  if (stepWeight !== undefined) {
    const weights: number[] = [];
    for (let w = stepWeight; w < maxWeight; w += stepWeight) weights.push(w);
    weights.push(maxWeight);
    return weights.map((weight) => ({ kind: 'weight', weight }));
  }
  const text = steps.trim() || DEFAULT_STEPS;
  const items = splitList(text);
  if (items.length > 100) throw new InputError('steps', text, 'at most 100 steps');
  const out: Step[] = [];
  let last = 0;
  for (const item of items) {
    if (item === 'pause') {
      if (!out.length) throw new InputError('steps', text, 'the first step must be a weight, not pause');
      out.push({ kind: 'pause', weight: last });
      continue;
    }
    const w = Number(item);
    // 0 (only A/B-matched requests) can only open the schedule.
    const low = zeroFirst && !out.length ? 0 : 1;
    if (!/^\d+$/.test(item) || w < low || w > 100)
      throw new InputError(
        'steps',
        text,
        `"${item}" is not a weight: each step is a whole percent 1–100 or "pause"`,
      );
    if (out.length && w <= last)
      throw new InputError('steps', text, `weights must increase (${w} after ${last})`);
    out.push({ kind: 'weight', weight: w });
    last = w;
  }
  return out;
}

/** The provider whose metrics the router's traffic shows up in (auto), or the one named. */
export function providerOf(inputs: Pick<Inputs, 'metrics-provider' | 'router'>): Provider {
  const given = inputs['metrics-provider'];
  if (given !== 'auto') return given;
  const byRouter: Record<Inputs['router'], Provider> = {
    'gateway-api': 'traefik',
    istio: 'istio',
    nginx: 'nginx',
    smi: 'none',
    pods: 'none',
  };
  return byRouter[inputs.router];
}

export interface Plan {
  mode: Inputs['mode'];
  steps: Step[];
  metrics: MetricSpec[];
  provider: Provider;
  counts: { requests: string; errors: string } | undefined;
  policy: AnalysisPolicy;
  intervalMs: number;
  sampleEveryMs: number;
  hooks: Webhook[];
  abMatches: AbMatch[];
  /** require-signature: who must have signed the digest. */
  verifier: Verifier | undefined;
}

export function makePlan(inputs: Inputs): Plan {
  const abMatches = parseAbMatches(inputs);
  const blueGreen = inputs.mode === 'blue-green';
  if (blueGreen && (inputs.steps.trim() || inputs['step-weight'] !== undefined))
    throw new InputError(
      inputs.steps.trim() ? 'steps' : 'step-weight',
      inputs.steps || String(inputs['step-weight']),
      'mode blue-green switches all traffic at once: leave steps and step-weight unset',
    );
  // Blue-green is one step: all traffic to green, analysed for the rollback window.
  const steps: Step[] = blueGreen
    ? [{ kind: 'weight', weight: 100 }]
    : parseSteps(inputs.steps, inputs['step-weight'], inputs['max-weight'], abMatches.length > 0);
  const custom = parseMetrics(inputs.metrics, 'metrics');
  const provider = providerOf(inputs);
  const builtin = builtinMetrics(provider, {
    successRateMin: inputs['success-rate-min'],
    latencyP99MaxMs: inputs['latency-p99-max'],
  });
  // Values are kept by name: a custom metric must not take a built-in one's.
  const taken = custom.find((m) => builtin.some((b) => b.name === m.name));
  if (taken)
    throw new InputError(
      'metrics',
      inputs.metrics,
      `metric name "${taken.name}" is a built-in metric of metrics-provider ${provider}; choose another name`,
    );
  const metrics = [...builtin, ...custom];
  if (inputs.analysis && !inputs['prometheus-url'])
    throw new InputError(
      'prometheus-url',
      '',
      'it is required while analysis is true (set analysis: false to go by pod health and time alone)',
    );
  if (inputs.analysis && !metrics.length)
    throw new InputError(
      'metrics',
      inputs.metrics,
      `${provider === 'none' ? 'metrics-provider none has no built-in metrics' : `metrics-provider ${provider} has no success-rate-min or latency-p99-max`} and there are no metrics of your own: there is nothing to analyse`,
    );
  const intervalMs =
    (blueGreen ? inputs['rollback-window'] : inputs.interval) ?? (blueGreen ? 300_000 : 60_000);
  return {
    mode: inputs.mode,
    steps,
    metrics,
    provider,
    counts: countQueries(provider),
    intervalMs,
    sampleEveryMs: Math.min(inputs['sample-every'] ?? 5_000, intervalMs),
    hooks: parseWebhooks(inputs.webhooks, 'webhooks'),
    abMatches,
    verifier: signatureGate(inputs),
    policy: {
      onNoData: inputs['on-no-data'],
      onInconclusive: inputs['on-inconclusive'],
      minRequests: inputs['min-requests'] ?? 20,
      failureLimit: inputs['failure-limit'] ?? 0,
      inconclusiveLimit: inputs['inconclusive-limit'] ?? 0,
      errorLimit: inputs['error-limit'] ?? 3,
    },
  };
}

/** The verbs a canary needs in its namespace, checked up front and named. */
export const NEEDS = [
  ['get', 'deployments.apps'],
  ['create', 'deployments.apps'],
  ['patch', 'deployments.apps'],
  ['delete', 'deployments.apps'],
  ['watch', 'deployments.apps'],
  ['patch', 'deployments.apps/scale'],
  ['list', 'replicasets.apps'],
  ['list', 'pods'],
  ['list', 'events'],
  ['get', 'services'],
  ['create', 'services'],
  ['patch', 'services'],
  ['delete', 'services'],
  ['get', 'leases.coordination.k8s.io'],
  ['create', 'leases.coordination.k8s.io'],
  ['update', 'leases.coordination.k8s.io'],
  ['watch', 'leases.coordination.k8s.io'],
] as const;

/** What each router reads and writes beside NEEDS (nginx makes and removes its canary Ingress). */
export const ROUTER_NEEDS = {
  'gateway-api': [
    ['get', 'httproutes.gateway.networking.k8s.io'],
    ['update', 'httproutes.gateway.networking.k8s.io'],
    ['watch', 'httproutes.gateway.networking.k8s.io'],
  ],
  istio: [
    ['get', 'virtualservices.networking.istio.io'],
    ['update', 'virtualservices.networking.istio.io'],
  ],
  smi: [
    ['get', 'trafficsplits.split.smi-spec.io'],
    ['update', 'trafficsplits.split.smi-spec.io'],
  ],
  nginx: [
    ['get', 'ingresses.networking.k8s.io'],
    ['create', 'ingresses.networking.k8s.io'],
    ['update', 'ingresses.networking.k8s.io'],
    ['delete', 'ingresses.networking.k8s.io'],
  ],
  pods: [],
} as const satisfies Record<Inputs['router'], readonly (readonly [string, string])[]>;

function signatureGate(inputs: Inputs): Verifier | undefined {
  if (!inputs['require-signature']) return undefined;
  return signatureVerifier({
    key: inputs['signature-key'],
    identity: inputs['certificate-identity'],
    identityRegexp: inputs['certificate-identity-regexp'],
    issuer: inputs['certificate-oidc-issuer'],
    issuerRegexp: inputs['certificate-oidc-issuer-regexp'],
  });
}

/** An HTTP token: what a header or cookie name may be. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const escapeRegex = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `Name=value` headers and cookies that always reach the canary (gateway-api only). */
export function parseAbMatches(
  inputs: Pick<Inputs, 'match-headers' | 'match-cookies' | 'router'>,
): AbMatch[] {
  const pairs = (input: 'match-headers' | 'match-cookies') =>
    inputs[input].map((item) => {
      const eq = item.indexOf('=');
      const [k, v] = [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
      if (eq < 1 || !TOKEN.test(k) || !v || /[\0\r\n;]/.test(v))
        throw new InputError(
          input,
          item,
          'each item is name=value (a token name, a value without ; or line breaks)',
        );
      return [k, v] as const;
    });
  const matches: AbMatch[] = [
    ...pairs('match-headers').map(([header, value]) => ({ header, type: 'Exact' as const, value })),
    // One cookie among others in the Cookie header.
    ...pairs('match-cookies').map(([k, v]) => ({
      header: 'Cookie',
      type: 'RegularExpression' as const,
      value: `(^|.*;\\s*)${escapeRegex(k)}=${escapeRegex(v)}(;.*|$)`,
    })),
  ];
  const given = inputs['match-headers'].length ? 'match-headers' : 'match-cookies';
  if (matches.length && inputs.router !== 'gateway-api')
    throw new InputError(given, inputs[given].join(','), 'A/B matches need router gateway-api');
  return matches;
}
