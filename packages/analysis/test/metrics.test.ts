// What a canary step is judged by: the `metrics` input, query templating and the built-in queries.
import { describe, expect, test } from '@jest/globals';
import { InputError, UserError } from '@kubeline/runtime';
import {
  builtinMetrics,
  countQueries,
  parseMetrics,
  renderQuery,
  type QueryVars,
  ratio,
  sideVars,
} from '../src/metrics.js';

/** The InputError parseMetrics throws for `raw`: one line, naming the input. */
function refusal(raw: string, input = 'metrics'): InputError {
  let caught: unknown;
  try {
    parseMetrics(raw, input);
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

describe('parseMetrics: the metrics input', () => {
  test('an empty input is no metric', () => {
    expect(parseMetrics('')).toEqual([]);
    expect(parseMetrics('  \n  ')).toEqual([]);
  });

  test('a valid list becomes custom metrics, queries trimmed, bounds kept', () => {
    const raw = `
- name: error-budget
  query: |
    sum(rate(http_errors_total{service="{{canary-service}}"}[{{interval}}]))
  max: 0.5
- name: queue-depth
  query: max(queue_depth{namespace="{{namespace}}"})
  min: 0
  max: 100
- name: apdex
  query: avg(apdex{pod=~"{{canary}}-.*"})
  min: 0.9
`;
    expect(parseMetrics(raw)).toEqual([
      {
        name: 'error-budget',
        query: 'sum(rate(http_errors_total{service="{{canary-service}}"}[{{interval}}]))',
        min: undefined,
        max: 0.5,
        kind: 'custom',
      },
      {
        name: 'queue-depth',
        query: 'max(queue_depth{namespace="{{namespace}}"})',
        min: 0,
        max: 100,
        kind: 'custom',
      },
      { name: 'apdex', query: 'avg(apdex{pod=~"{{canary}}-.*"})', min: 0.9, max: undefined, kind: 'custom' },
    ]);
  });

  test('flow style is YAML too', () => {
    expect(parseMetrics('[{name: a, query: up, min: 1}]')).toEqual([
      { name: 'a', query: 'up', min: 1, max: undefined, kind: 'custom' },
    ]);
  });

  test('another input name is the one named in errors', () => {
    expect(refusal('name: a', 'extra-metrics').message).toContain('input "extra-metrics"');
  });

  test('not a list is refused', () => {
    expect(refusal('name: a\nquery: up\nmin: 1').message).toContain(
      'it must be a YAML list of {name, query, min, max}',
    );
    expect(refusal('just text').message).toContain('it must be a YAML list');
    expect(refusal('42').message).toContain('it must be a YAML list');
  });

  test('YAML that does not parse is refused with the line, not the text', () => {
    const err = refusal('- name: a\n  query: "up\n  min: 1');
    expect(err.message).toMatch(/it must be a YAML list at line \d+: /);
  });

  test('a duplicate key is refused', () => {
    expect(refusal('- name: a\n  name: b\n  query: up\n  min: 1').message).toContain(
      'it must be a YAML list',
    );
  });

  test('an item that is not a mapping is refused, naming the item', () => {
    expect(refusal('- up').message).toContain('item 1: each metric is a mapping {name, query, min, max}');
    expect(refusal('- name: a\n  query: up\n  min: 1\n- [x]').message).toContain(
      'item 2: each metric is a mapping',
    );
    expect(refusal('- null').message).toContain('item 1:');
  });

  test('an unknown key is refused, naming it', () => {
    const err = refusal('- name: a\n  query: up\n  minimum: 1');
    expect(err.message).toContain('item 1: unknown key "minimum" (allowed: name, query, min, max, relative)');
  });

  test('a bad name is refused', () => {
    for (const name of [
      'Upper',
      'has_underscore',
      '-lead',
      'trail-',
      '"x y"',
      "''",
      '12345678901234567890123456789012345678901234567890123456789012345',
    ])
      expect(refusal(`- name: ${name}\n  query: up\n  min: 1`).message).toContain(
        'item 1: "name" must be lowercase letters, digits and dashes',
      );
    expect(refusal('- query: up\n  min: 1').message).toContain('"name" must be');
    expect(refusal('- name: 7\n  query: up\n  min: 1').message).toContain('"name" must be');
  });

  test('a missing or blank query is refused', () => {
    expect(refusal('- name: a\n  min: 1').message).toContain('item 1: "query" must be a PromQL expression');
    expect(refusal('- name: a\n  query: "  "\n  min: 1').message).toContain('"query" must be');
    expect(refusal('- name: a\n  query: [up]\n  min: 1').message).toContain('"query" must be');
  });

  test('a bound that is not a finite number is refused, naming the bound', () => {
    expect(refusal('- name: a\n  query: up\n  min: "99"').message).toContain(
      'item 1: "min" must be a number',
    );
    expect(refusal('- name: a\n  query: up\n  max: .inf').message).toContain('"max" must be a number');
    expect(refusal('- name: a\n  query: up\n  min: .nan').message).toContain('"min" must be a number');
    expect(refusal('- name: a\n  query: up\n  max: true').message).toContain('"max" must be a number');
  });

  test('a metric without any bound is refused', () => {
    expect(refusal('- name: a\n  query: up').message).toContain(
      'item 1: a metric needs "min", "max" or both',
    );
    // `min:` with nothing after it is YAML null: not a number.
    expect(refusal('- name: a\n  query: up\n  min:').message).toContain('"min" must be a number');
  });

  test('a name used twice is refused', () => {
    const err = refusal(
      '- {name: a, query: up, min: 1}\n- {name: b, query: up, min: 1}\n- {name: a, query: down, max: 1}',
    );
    expect(err.message).toContain('metric name "a" is used twice');
  });

  test('50 metrics are fine, 51 are refused', () => {
    const list = (n: number) =>
      Array.from({ length: n }, (_, i) => `- {name: m${i}, query: up, min: 1}`).join('\n');
    expect(parseMetrics(list(50))).toHaveLength(50);
    expect(refusal(list(51)).message).toContain('at most 50 metrics');
  });

  test('a long input is shown shortened, on one line', () => {
    const raw = `- name: a\n  query: ${'x'.repeat(200)}\n  minimum: 1`;
    const err = refusal(raw);
    expect(err.value.length).toBe(60);
    expect(err.value.endsWith('...')).toBe(true);
    expect(err.message).toContain('\\n');
  });

  test('aliases are refused: a billion laughs is rejected at once', () => {
    const levels = ['- &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`- &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const started = performance.now();
    const err = refusal(levels.join('\n'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toContain('it must be a YAML list without aliases');
  });

  test('even a single harmless alias is refused', () => {
    const err = refusal('- &m {name: a, query: up, min: 1}\n- *m');
    expect(err.message).toContain('without aliases');
  });
});

const vars: QueryVars = {
  namespace: 'shop',
  canary: 'web-canary',
  stable: 'web',
  'canary-service': 'web-canary',
  'stable-service': 'web',
  route: 'web-route',
  interval: '60s',
};

describe('renderQuery: {{variables}}', () => {
  test('every variable is filled, spaces inside the braces allowed, repeated ones too', () => {
    const query =
      '{{namespace}}|{{canary}}|{{stable}}|{{canary-service}}|{{stable-service}}|{{route}}|{{interval}}|{{ namespace }}|{{namespace}}';
    expect(renderQuery({ name: 'all', query }, vars)).toBe(
      'shop|web-canary|web|web-canary|web|web-route|60s|shop|shop',
    );
  });

  test('a misspelt variable (underscore, capitals) is refused, not sent as it is', () => {
    for (const name of ['canary_service', 'Namespace', 'INTERVAL', 'route2'])
      expect(() => renderQuery({ name: 'm', query: `x{a="{{ ${name} }}"}` }, vars)).toThrow(
        `metric m: unknown variable {{${name}}}`,
      );
  });

  test('a query without variables is kept as it is', () => {
    expect(renderQuery({ name: 'plain', query: 'sum(up{job="x"})' }, vars)).toBe('sum(up{job="x"})');
  });

  test('an unknown variable is refused, naming it, the metric and the known ones', () => {
    let caught: unknown;
    try {
      renderQuery({ name: 'error-budget', query: 'sum(x{svc="{{service}}"})' }, vars);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(
      'metric error-budget: unknown variable {{service}}; known: {{namespace}}, {{canary}}, {{stable}}, {{canary-service}}, {{stable-service}}, {{route}}, {{interval}}',
    );
  });

  test("a name of Object's prototype is not a variable", () => {
    for (const name of ['constructor', '__proto__', 'hasOwnProperty', 'toString'])
      expect(() => renderQuery({ name: 'm', query: `x{a="{{${name}}}"}` }, vars)).toThrow(
        `unknown variable {{${name}}}`,
      );
  });
});

describe('builtinMetrics: Flagger-style queries per provider', () => {
  test('traefik: success rate and p99 latency of the canary Service, both bounds kept', () => {
    const ms = builtinMetrics('traefik', { successRateMin: 99, latencyP99MaxMs: 500 });
    expect(ms.map((m) => [m.name, m.kind, m.min, m.max])).toEqual([
      ['success-rate', 'success-rate', 99, undefined],
      ['latency-p99-ms', 'latency', undefined, 500],
    ]);
    const selector =
      'service=~"(httproute-.*-svc-{{namespace}}-{{canary-service}}-[0-9]+|{{namespace}}-{{canary-service}}-[a-z0-9-]+-[0-9]+)@kubernetesgateway"';
    expect(ms[0]!.query).toBe(
      `sum(rate(traefik_service_request_duration_seconds_count{${selector},code!~"5.."}[{{interval}}])) / sum(rate(traefik_service_request_duration_seconds_count{${selector}}[{{interval}}])) * 100`,
    );
    expect(ms[1]!.query).toBe(
      `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${selector}}[{{interval}}])) by (le)) * 1000`,
    );
    // Every variable a built-in query uses renders.
    const rendered = renderQuery(ms[0]!, vars);
    expect(rendered).toContain(
      '-svc-shop-web-canary-[0-9]+|shop-web-canary-[a-z0-9-]+-[0-9]+)@kubernetesgateway"',
    );
    expect(rendered).toContain('[60s]');
    expect(rendered).not.toContain('{{');
  });

  test("traefik's selector matches the canary backend as Traefik 3.7 and 3.6 name it, never the stable one", () => {
    const rendered = renderQuery(builtinMetrics('traefik', { successRateMin: 99 })[0]!, vars);
    // Prometheus anchors a =~ regex at both ends.
    const re = new RegExp(`^${/service=~"([^"]+)"/.exec(rendered)![1]!}$`);
    // Label values as Traefik 3.7.15 wrote them on the stack (the route's rule 0, backends 0 and 1).
    const at37 = (svc: string, i: number) =>
      `httproute-shop-web-gw-kubeline-gateway-kubeline-ep-web-0-1dea893eb9965c2ad32d-svc-shop-${svc}-${i}@kubernetesgateway`;
    expect(re.test(at37('web-canary', 1))).toBe(true);
    expect(re.test(at37('web', 0))).toBe(false);
    expect(re.test('shop-web-canary-http-8080@kubernetesgateway')).toBe(true);
    expect(re.test('shop-web-http-8080@kubernetesgateway')).toBe(false);
    expect(re.test(at37('web-canary', 1).replace('svc-shop-', 'svc-other-'))).toBe(false);
  });

  test('istio latency is in milliseconds already; nginx in seconds', () => {
    const istio = builtinMetrics('istio', { latencyP99MaxMs: 250 });
    expect(istio).toHaveLength(1);
    expect(istio[0]!.query).toMatch(/\) by \(le\)\)$/);
    expect(istio[0]!.query).toContain('destination_workload="{{canary}}"');
    const nginx = builtinMetrics('nginx', { successRateMin: 95 });
    expect(nginx).toHaveLength(1);
    expect(nginx[0]!.query).toContain('status!~"5.."');
    expect(builtinMetrics('nginx', { latencyP99MaxMs: 1 })[0]!.query).toMatch(/ \* 1000$/);
  });

  test('only the bounds given become metrics', () => {
    expect(builtinMetrics('traefik', {})).toEqual([]);
    expect(builtinMetrics('traefik', { latencyP99MaxMs: 500 }).map((m) => m.name)).toEqual([
      'latency-p99-ms',
    ]);
    // 0 is a bound, not "unset".
    expect(builtinMetrics('istio', { successRateMin: 0 })[0]!.min).toBe(0);
  });

  test("'none' has no built-in metrics", () => {
    expect(builtinMetrics('none', { successRateMin: 99, latencyP99MaxMs: 500 })).toEqual([]);
  });
});

describe('countQueries: requests and 5xx of the canary', () => {
  test('traefik counts with increase over the interval; errors default to 0', () => {
    const selector =
      'service=~"(httproute-.*-svc-{{namespace}}-{{canary-service}}-[0-9]+|{{namespace}}-{{canary-service}}-[a-z0-9-]+-[0-9]+)@kubernetesgateway"';
    expect(countQueries('traefik')).toEqual({
      requests: `sum(increase(traefik_service_request_duration_seconds_count{${selector}}[{{interval}}]))`,
      errors: `sum(increase(traefik_service_request_duration_seconds_count{${selector},code=~"5.."}[{{interval}}])) or vector(0)`,
    });
  });

  test('istio and nginx use their own code labels', () => {
    expect(countQueries('istio')!.errors).toContain('response_code=~"5.."');
    expect(countQueries('nginx')!.errors).toContain('status=~"5.."');
    for (const p of ['traefik', 'istio', 'nginx'] as const) {
      const q = countQueries(p)!;
      expect(renderQuery({ name: 'r', query: q.requests }, vars)).not.toContain('{{');
      expect(renderQuery({ name: 'e', query: q.errors }, vars)).not.toContain('{{');
    }
  });

  test("'none' counts nothing", () => {
    expect(countQueries('none')).toBeUndefined();
  });
});

describe('relative metrics: canary compared with stable', () => {
  const base = {
    namespace: 'shop',
    canary: 'web-canary',
    stable: 'web',
    'canary-service': 'web-canary',
    'stable-service': 'web',
    route: 'web',
    interval: '60s',
  };

  test('parse: relative needs {{target}} or {{target-service}} in its query', () => {
    expect(
      parseMetrics('- {name: p99, query: "q{s=\\"{{target-service}}\\"}", max: 1.2, relative: true}'),
    ).toEqual([
      {
        name: 'p99',
        query: 'q{s="{{target-service}}"}',
        max: 1.2,
        min: undefined,
        kind: 'custom',
        relative: true,
      },
    ]);
    expect(() =>
      parseMetrics('- {name: p99, query: "q{s=\\"{{canary-service}}\\"}", max: 1.2, relative: true}'),
    ).toThrow(
      /relative metric compares canary with stable: its query must use \{\{target\}\} or \{\{target-service\}\}/,
    );
    expect(() => parseMetrics('- {name: p99, query: q, max: 1.2, relative: "yes"}')).toThrow(
      /"relative" must be true or false/,
    );
  });

  test('each side renders its own target', () => {
    const m = { name: 'p99', query: 'x{svc="{{target-service}}",w="{{target}}"}' };
    expect(renderQuery(m, sideVars(base, 'canary'))).toBe('x{svc="web-canary",w="web-canary"}');
    expect(renderQuery(m, sideVars(base, 'stable'))).toBe('x{svc="web",w="web"}');
  });

  test('ratio: canary ÷ stable; 0 ÷ 0 is 1; a side without data is no data', () => {
    expect(ratio(150, 100)).toBe(1.5);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(3, 0)).toBe(Infinity);
    expect(ratio(undefined, 1)).toBeUndefined();
    expect(ratio(1, undefined)).toBeUndefined();
  });
});
