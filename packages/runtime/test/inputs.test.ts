import { input, InputError, readInputs, splitList, UserError, parseDuration } from '@kubeline/runtime';

const meta = (inputs: Record<string, { default?: string; required?: boolean }>) => ({
  name: 't',
  description: '',
  post: false,
  outputs: {},
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { description: `the ${k}`, ...v }])),
});

describe('input parsers', () => {
  it('booleans accept the YAML spellings and reject anything else with the allowed values', () => {
    const b = input.boolean();
    expect(['true', 'True', 'yes', 'on', '1'].map((v) => b.parse(v, 'push'))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['false', 'NO', 'off', '0'].map((v) => b.parse(v, 'push'))).toEqual([false, false, false, false]);
    expect(() => b.parse('ture', 'push')).toThrow(
      'input "push": "ture" is not valid; allowed: true or false',
    );
  });

  it('numbers check integer and range', () => {
    const n = input.number({ integer: true, min: 1, max: 100 });
    expect(n.parse(' 42 ', 'weight')).toBe(42);
    expect(n.parse('', 'weight')).toBeUndefined();
    expect(() => n.parse('0', 'weight')).toThrow('allowed: an integer ≥ 1 ≤ 100');
    expect(() => n.parse('4x', 'weight')).toThrow(InputError);
  });

  it('lists split on newlines and commas, dropping blanks and comments', () => {
    expect(splitList('a, b\n\n# note\n c,\n')).toEqual(['a', 'b', 'c']);
    expect(input.list().parse('', 'tags')).toEqual([]);
  });

  it('multiline text is kept verbatim', () => {
    expect(input.multiline().parse('  a: 1\n  b: 2\n', 'values')).toBe('  a: 1\n  b: 2\n');
  });

  it('durations take 90s, 5m, 1h30m and bare seconds', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30')).toBe(30_000);
    expect(() => input.duration().parse('5 minutes', 'timeout')).toThrow(
      'input "timeout": "5 minutes" is not valid; allowed: a duration such as 90s, 5m or 1h30m',
    );
  });

  it('enums list their options', () => {
    const e = input.enum(['buildx', 'buildah'] as const);
    expect(e.parse('buildah', 'builder')).toBe('buildah');
    expect(() => e.parse('kaniko', 'builder')).toThrow(
      'input "builder": "kaniko" is not valid; allowed: buildx, buildah',
    );
  });

  it('JSON is parsed, and a syntax error says where', () => {
    expect(input.json().parse('{"a":[1]}', 'image')).toEqual({ a: [1] });
    expect(() => input.json().parse('{"a":', 'image')).toThrow(
      /input "image": "\{\\"a\\":" is not valid; it must be JSON/,
    );
  });

  it('URLs must be absolute with an allowed scheme', () => {
    expect(input.url().parse('https://m.example/x', 'mirror')?.host).toBe('m.example');
    expect(() => input.url().parse('ftp://m', 'mirror')).toThrow('allowed schemes: http, https');
    expect(() => input.url().parse('m.example', 'mirror')).toThrow('it must be an absolute URL');
  });

  it('strings can be constrained by a pattern with a readable rule', () => {
    const s = input.string({ pattern: /^[a-z]+$/, allowed: 'lowercase letters only' });
    expect(() => s.parse('Abc', 'release')).toThrow(
      'input "release": "Abc" is not valid; lowercase letters only',
    );
  });
});

describe('readInputs', () => {
  it('applies action.yml defaults off GitHub and reads dashed names from either spelling', () => {
    const m = meta({ 'helm-version': { default: '3' }, 'create-namespace': { default: 'false' } });
    const spec = { 'helm-version': input.string(), 'create-namespace': input.boolean() };
    expect(readInputs(m, spec, {})).toEqual({ 'helm-version': '3', 'create-namespace': false });
    expect(readInputs(m, spec, { 'INPUT_HELM-VERSION': '4', INPUT_CREATE_NAMESPACE: 'true' })).toEqual({
      'helm-version': '4',
      'create-namespace': true,
    });
  });

  it('a missing required input is a user error that quotes its description', () => {
    const m = meta({ release: { required: true } });
    expect(() => readInputs(m, { release: input.string() }, {})).toThrow(UserError);
    expect(() => readInputs(m, { release: input.string() }, {})).toThrow(
      'input "release" is required: the release',
    );
  });

  it('a parsed input that action.yml does not declare is a bug, not a user error', () => {
    expect(() => readInputs(meta({}), { ghost: input.string() }, {})).toThrow(/^bug: input ghost/);
  });
});
