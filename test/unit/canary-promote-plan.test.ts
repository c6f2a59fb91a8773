// canary-promote's plan from its inputs: the weight schedule, the metrics and the limits.
import { describe, expect, test } from '@jest/globals';
import { InputError, readInputs } from '@kubeline/runtime';
import { action } from '../../actions/canary-promote/src/action.generated.js';
import { inputSpec, type Inputs } from '../../actions/canary-promote/src/inputs.js';
import { DEFAULT_STEPS, makePlan, parseSteps, providerOf } from '../../actions/canary-promote/src/plan.js';

/** The action's inputs as the runner passes them: action.yml defaults for all not given. */
const inputs = (given: Record<string, string> = {}): Inputs =>
  readInputs(action, inputSpec, {
    INPUT_DEPLOYMENT: 'web',
    INPUT_IMAGE: 'ghcr.io/acme/web:1.4.0',
    'INPUT_PROMETHEUS-URL': 'http://prometheus.monitoring:9090',
    ...Object.fromEntries(Object.entries(given).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  });

/** The InputError `f` throws: one line, naming `input`. */
function inputError(f: () => unknown, input: string): InputError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.input).toBe(input);
  expect(err.message.startsWith(`input "${input}": `)).toBe(true);
  expect(err.message).not.toMatch(/[\r\n]/);
  return err;
}

const weights = (...ws: number[]) => ws.map((weight) => ({ kind: 'weight', weight }));

describe('parseSteps', () => {
  test('empty is the default 5,25,50,100', () => {
    expect(DEFAULT_STEPS).toBe('5,25,50,100');
    expect(parseSteps('')).toEqual(weights(5, 25, 50, 100));
    expect(parseSteps('  \n ')).toEqual(weights(5, 25, 50, 100));
  });

  test('items are trimmed; pause holds the weight before it', () => {
    expect(parseSteps('10, 20 ,pause, 50')).toEqual([
      { kind: 'weight', weight: 10 },
      { kind: 'weight', weight: 20 },
      { kind: 'pause', weight: 20 },
      { kind: 'weight', weight: 50 },
    ]);
  });

  test('newlines separate too; two pauses hold twice', () => {
    expect(parseSteps('1\n50\npause\npause\n100')).toEqual([
      { kind: 'weight', weight: 1 },
      { kind: 'weight', weight: 50 },
      { kind: 'pause', weight: 50 },
      { kind: 'pause', weight: 50 },
      { kind: 'weight', weight: 100 },
    ]);
  });

  test('weights that do not increase are refused', () => {
    expect(inputError(() => parseSteps('5,25,20,100'), 'steps').message).toContain(
      'weights must increase (20 after 25)',
    );
    expect(inputError(() => parseSteps('25,25'), 'steps').message).toContain(
      'weights must increase (25 after 25)',
    );
  });

  test('0, 101, a fraction, a sign or a word is not a weight', () => {
    for (const bad of ['0', '101', '12.5', '+5', '-5', 'abc', '1e1', 'Pause'])
      expect(inputError(() => parseSteps(`${bad},100`), 'steps').message).toContain(
        `"${bad}" is not a weight: each step is a whole percent 1–100 or "pause"`,
      );
  });

  test('pause first is refused', () => {
    expect(inputError(() => parseSteps('pause,10,50'), 'steps').message).toContain(
      'the first step must be a weight, not pause',
    );
  });

  test('more than 100 steps are refused', () => {
    const many = Array(101).fill('pause');
    many[0] = '1';
    expect(inputError(() => parseSteps(many.join(',')), 'steps').message).toContain('at most 100 steps');
  });

  test('step-weight 10 up to max-weight 50: 10, 20, 30, 40, 50', () => {
    expect(parseSteps('', 10, 50)).toEqual(weights(10, 20, 30, 40, 50));
  });

  test('step-weight 15 up to max-weight 50: 15, 30, 45, then 50', () => {
    expect(parseSteps('', 15, 50)).toEqual(weights(15, 30, 45, 50));
  });

  test('step-weight up to 100; a step larger than max-weight is just max-weight', () => {
    expect(parseSteps('', 25, 100)).toEqual(weights(25, 50, 75, 100));
    expect(parseSteps('', 60, 50)).toEqual(weights(50));
    expect(parseSteps('', 20)).toEqual(weights(20, 40, 50));
  });

  test('steps and step-weight together are refused, naming step-weight', () => {
    expect(inputError(() => parseSteps('5,50', 10, 50), 'step-weight').message).toContain(
      'set either steps or step-weight, not both',
    );
  });
});

describe('makePlan', () => {
  test('the defaults: four steps, Traefik success rate and p99 latency, the limits of action.yml', () => {
    const plan = makePlan(inputs());
    expect(plan.steps).toEqual(weights(5, 25, 50, 100));
    expect(plan.provider).toBe('traefik');
    expect(plan.metrics.map((m) => [m.name, m.min, m.max])).toEqual([
      ['success-rate', 99, undefined],
      ['latency-p99-ms', undefined, 500],
    ]);
    expect(plan.counts?.requests).toContain('traefik_service_request_duration_seconds_count');
    expect(plan.intervalMs).toBe(60_000);
    expect(plan.sampleEveryMs).toBe(5_000);
    expect(plan.hooks).toEqual([]);
    expect(plan.policy).toEqual({
      onNoData: 'inconclusive',
      onInconclusive: 'fail',
      minRequests: 20,
      failureLimit: 0,
      inconclusiveLimit: 0,
      errorLimit: 3,
    });
  });

  test('inputs reach the plan: steps, bounds, custom metrics, limits, sampling within the interval', () => {
    const plan = makePlan(
      inputs({
        steps: '10,pause,60',
        'metrics-provider': 'istio',
        'success-rate-min': '99.5',
        'latency-p99-max': '1s',
        metrics: '- {name: queue-depth, query: max(q), max: 10}',
        'min-requests': '0',
        'on-no-data': 'fail',
        'on-inconclusive': 'promote',
        'failure-limit': '2',
        'inconclusive-limit': '1',
        'error-limit': '5',
        interval: '10s',
        'sample-every': '30s',
      }),
    );
    expect(plan.steps).toEqual([
      { kind: 'weight', weight: 10 },
      { kind: 'pause', weight: 10 },
      { kind: 'weight', weight: 60 },
    ]);
    expect(plan.metrics.map((m) => [m.name, m.kind, m.min, m.max])).toEqual([
      ['success-rate', 'success-rate', 99.5, undefined],
      ['latency-p99-ms', 'latency', undefined, 1000],
      ['queue-depth', 'custom', undefined, 10],
    ]);
    expect(plan.counts?.errors).toContain('istio_request_duration_milliseconds_count');
    expect(plan.intervalMs).toBe(10_000);
    // Never sampled less often than once per interval.
    expect(plan.sampleEveryMs).toBe(10_000);
    expect(plan.policy).toEqual({
      onNoData: 'fail',
      onInconclusive: 'promote',
      minRequests: 0,
      failureLimit: 2,
      inconclusiveLimit: 1,
      errorLimit: 5,
    });
  });

  test('step-weight with max-weight', () => {
    expect(makePlan(inputs({ 'step-weight': '20', 'max-weight': '70' })).steps).toEqual(
      weights(20, 40, 60, 70),
    );
  });

  test('steps and step-weight both set are refused, naming step-weight', () => {
    inputError(() => makePlan(inputs({ steps: '5,50', 'step-weight': '10' })), 'step-weight');
  });

  test('a bad steps input is refused, naming steps', () => {
    inputError(() => makePlan(inputs({ steps: '50,25' })), 'steps');
  });

  test('a bad metrics input is refused, naming metrics', () => {
    expect(
      inputError(() => makePlan(inputs({ metrics: '- {name: a, query: up}' })), 'metrics').message,
    ).toContain('a metric needs "min", "max" or both');
  });

  test('analysis without prometheus-url is refused, naming prometheus-url', () => {
    const err = inputError(() => makePlan(inputs({ 'prometheus-url': '' })), 'prometheus-url');
    expect(err.message).toContain('it is required while analysis is true');
  });

  test('analysis false needs no Prometheus', () => {
    const plan = makePlan(inputs({ analysis: 'false', 'prometheus-url': '', 'metrics-provider': 'none' }));
    expect(plan.steps).toEqual(weights(5, 25, 50, 100));
    expect(plan.metrics).toEqual([]);
    expect(plan.counts).toBeUndefined();
  });

  test('metrics-provider none and no metrics of your own: nothing to analyse', () => {
    const err = inputError(() => makePlan(inputs({ 'metrics-provider': 'none' })), 'metrics');
    expect(err.message).toContain(
      'metrics-provider none has no built-in metrics and there are no metrics of your own: there is nothing to analyse',
    );
  });

  test('metrics-provider none with metrics of your own: only those, and no request counts', () => {
    const plan = makePlan(
      inputs({ 'metrics-provider': 'none', metrics: '- {name: apdex, query: avg(apdex), min: 0.9}' }),
    );
    expect(plan.metrics.map((m) => m.name)).toEqual(['apdex']);
    expect(plan.counts).toBeUndefined();
  });

  test('a built-in provider without either bound and no metrics: nothing to analyse', () => {
    const none = { ...inputs(), 'success-rate-min': undefined, 'latency-p99-max': undefined };
    const err = inputError(() => makePlan(none), 'metrics');
    expect(err.message).toContain(
      'metrics-provider traefik has no success-rate-min or latency-p99-max and there are no metrics of your own: there is nothing to analyse',
    );
  });

  test('a metric of your own named like a built-in one is refused: their values would collide', () => {
    const err = inputError(
      () => makePlan(inputs({ metrics: '- {name: success-rate, query: avg(x), min: 1}' })),
      'metrics',
    );
    expect(err.message).toContain('"success-rate"');
    expect(err.message).toContain('is a built-in metric of metrics-provider traefik');
    // Without that built-in, the name is free.
    const own = inputs({ metrics: '- {name: success-rate, query: avg(x), min: 1}' });
    expect(makePlan({ ...own, 'success-rate-min': undefined }).metrics.map((m) => [m.name, m.kind])).toEqual([
      ['latency-p99-ms', 'latency'],
      ['success-rate', 'custom'],
    ]);
    expect(
      makePlan(inputs({ 'metrics-provider': 'none', metrics: '- {name: latency-p99-ms, query: x, max: 1}' }))
        .metrics,
    ).toHaveLength(1);
  });

  test('input values are checked on reading: a bad enum or number names its input', () => {
    inputError(() => inputs({ 'metrics-provider': 'linkerd' }), 'metrics-provider');
    inputError(() => inputs({ 'success-rate-min': '101' }), 'success-rate-min');
    inputError(() => inputs({ 'step-weight': '0' }), 'step-weight');
  });
});

describe('metrics-provider auto', () => {
  test.each([
    ['gateway-api', 'traefik'],
    ['istio', 'istio'],
    ['nginx', 'nginx'],
    ['smi', 'none'],
    ['pods', 'none'],
  ] as const)('router %s reads %s metrics', (router, provider) => {
    expect(providerOf({ router, 'metrics-provider': 'auto' })).toBe(provider);
    expect(providerOf({ router, 'metrics-provider': 'istio' })).toBe('istio');
  });
});

describe('mode blue-green', () => {
  test('one step of 100 %, analysed for the rollback window', () => {
    const plan = makePlan(inputs({ mode: 'blue-green', 'rollback-window': '2m' }));
    expect(plan.steps).toEqual([{ kind: 'weight', weight: 100 }]);
    expect(plan.intervalMs).toBe(120_000);
  });

  test('steps or step-weight with blue-green is refused, naming the input', () => {
    const err = inputError(() => makePlan(inputs({ mode: 'blue-green', steps: '10,100' })), 'steps');
    expect(err.message).toContain('mode blue-green switches all traffic at once');
    inputError(() => makePlan(inputs({ mode: 'blue-green', 'step-weight': '10' })), 'step-weight');
  });
});

describe('A/B matches', () => {
  test('headers exactly, cookies by a regular expression over the Cookie header', () => {
    const plan = makePlan(inputs({ 'match-headers': 'x-canary=always', 'match-cookies': 'canary=yes.1' }));
    expect(plan.abMatches).toEqual([
      { header: 'x-canary', type: 'Exact', value: 'always' },
      { header: 'Cookie', type: 'RegularExpression', value: '(^|.*;\\s*)canary=yes\\.1(;.*|$)' },
    ]);
    const re = new RegExp(plan.abMatches[1]!.value);
    expect(re.test('a=b; canary=yes.1; c=d')).toBe(true);
    expect(re.test('canary=yes.1')).toBe(true);
    expect(re.test('canary=yesX1')).toBe(false);
    expect(re.test('notcanary=yes.1')).toBe(false);
  });

  test('with A/B matches the first step may be 0 (only matched requests); without, it may not', () => {
    expect(makePlan(inputs({ 'match-headers': 'x-canary=1', steps: '0,pause,100' })).steps).toEqual([
      { kind: 'weight', weight: 0 },
      { kind: 'pause', weight: 0 },
      { kind: 'weight', weight: 100 },
    ]);
    inputError(() => makePlan(inputs({ steps: '0,100' })), 'steps');
    inputError(() => makePlan(inputs({ 'match-headers': 'x-canary=1', steps: '10,0' })), 'steps');
  });

  test('malformed items and other routers are refused, naming the input', () => {
    inputError(() => makePlan(inputs({ 'match-headers': 'x canary=1' })), 'match-headers');
    inputError(() => makePlan(inputs({ 'match-headers': 'x-canary=' })), 'match-headers');
    inputError(() => makePlan(inputs({ 'match-cookies': 'a=b;c' })), 'match-cookies');
    const err = inputError(
      () => makePlan(inputs({ router: 'istio', route: 'web', 'match-headers': 'x-canary=1' })),
      'match-headers',
    );
    expect(err.message).toContain('A/B matches need router gateway-api');
  });
});
