import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@kubeline/runtime';
import { parseChartSource, checkLocalChart } from '../../actions/helm-deploy/src/chart-source.js';
import { parseSetLines, parseValues, valuesArgs } from '../../actions/helm-deploy/src/values.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-values-'));

describe('values: checked before helm sees them', () => {
  it('a YAML syntax error names the file and the line', () => {
    const dir = tmp();
    const file = path.join(dir, 'prod.yaml');
    fs.writeFileSync(file, 'replicaCount: 2\nimage:\n  tag: "1.0\nmessage: hi\n');
    expect(() => valuesArgs({ files: [file], inline: '', set: '', setString: '', setFile: '' }, dir)).toThrow(
      new RegExp(`^values file ${file}: YAML syntax error at line 3: `),
    );
  });

  it('values must be a mapping; an empty file is no values', () => {
    expect(() => parseValues('- a\n- b\n', 'values file x.yaml')).toThrow(
      'values file x.yaml: values must be a YAML mapping (key: value), not a list',
    );
    expect(parseValues('', 'x')).toEqual({});
  });

  it('a missing values file is a one-line input error', () => {
    expect(() =>
      valuesArgs({ files: ['nope.yaml'], inline: '', set: '', setString: '', setFile: '' }, tmp()),
    ).toThrow('input "values-files": "nope.yaml" is not valid; no such file');
  });

  it('builds -f and --set* in precedence order: files, values, image pin, then --set flags', () => {
    const dir = tmp();
    const file = path.join(dir, 'a.yaml');
    fs.writeFileSync(file, 'a: 1\n');
    const content = path.join(dir, 'motd.txt');
    fs.writeFileSync(content, 'hello');
    const args = valuesArgs(
      {
        files: [file],
        inline: 'b: 2\n',
        set: 'c=3\nlist={x,y}',
        setString: 'd=004',
        setFile: `motd=${content}`,
      },
      dir,
      { image: { digest: 'sha256:abc' } },
    );
    expect(args).toEqual([
      '--values',
      file,
      '--values',
      path.join(dir, 'values-input.yaml'),
      '--values',
      path.join(dir, 'values-image.json'),
      '--set',
      'c=3',
      '--set',
      'list={x,y}',
      '--set-string',
      'd=004',
      '--set-file',
      `motd=${content}`,
    ]);
    expect(fs.readFileSync(path.join(dir, 'values-input.yaml'), 'utf8')).toBe('b: 2\n');
    expect(fs.statSync(path.join(dir, 'values-image.json')).mode & 0o777).toBe(0o600);
  });

  it('the multiline values input is checked too, naming the input', () => {
    expect(() =>
      valuesArgs({ files: [], inline: 'a: [1, 2\n', set: '', setString: '', setFile: '' }, tmp()),
    ).toThrow(/^input "values": YAML syntax error at line \d/);
  });

  it('set lines must be key=value; comments and blank lines are skipped', () => {
    expect(parseSetLines('# c\n\na=1\n b = 2 \n', 'set')).toEqual(['a=1', 'b = 2']);
    expect(() => parseSetLines('justakey', 'set')).toThrow(
      'input "set": "justakey" is not valid; each line must be key=value',
    );
  });
});

describe('chart-source: local, repository, URL and OCI charts', () => {
  it('tells the forms apart', () => {
    expect(parseChartSource('./charts/web', '')).toEqual({ kind: 'local', path: './charts/web' });
    expect(parseChartSource('oci://127.0.0.1:5000/charts/web', '')).toEqual({
      kind: 'oci',
      ref: 'oci://127.0.0.1:5000/charts/web',
    });
    expect(parseChartSource('web', 'http://127.0.0.1:8080/charts')).toEqual({
      kind: 'repo',
      repo: 'http://127.0.0.1:8080/charts',
      name: 'web',
    });
    expect(parseChartSource('http://127.0.0.1:8080/charts/web', '')).toEqual({
      kind: 'repo',
      repo: 'http://127.0.0.1:8080/charts',
      name: 'web',
    });
    expect(parseChartSource('https://h/charts/web-0.1.0.tgz', '')).toEqual({
      kind: 'url',
      url: 'https://h/charts/web-0.1.0.tgz',
    });
  });

  it('refuses what cannot be a chart, in one line naming the input', () => {
    expect(() => parseChartSource('https://charts.example.com', '')).toThrow(
      /input "chart": .* the URL names no chart/,
    );
    expect(() => parseChartSource('./web', 'http://127.0.0.1/charts')).toThrow(
      'with `repo`, give the chart name only',
    );
    expect(() => checkLocalChart('/no/such/chart')).toThrow(UserError);
    expect(() => checkLocalChart('/no/such/chart')).toThrow(
      /^input "chart": "\/no\/such\/chart" is not valid; no such folder or file/,
    );
    expect(() => checkLocalChart(tmp())).toThrow('the folder has no Chart.yaml, so it is not a Helm chart');
  });
});

describe('values: YAML errors point at the line to fix', () => {
  it.each([
    [
      'an unclosed quote',
      'replicaCount: 2\nimage:\n  tag: "1.0\nmessage: hi\n',
      3,
      'a quoted value is never closed',
    ],
    [
      'a bad indentation',
      'a: 1\nb:\n  c: 1\n   d: 2\n',
      3,
      'Nested mappings are not allowed in compact mappings',
    ],
    [
      'an unclosed list',
      'a: 1\nb: [1, 2\nc: 3\n',
      3,
      'Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['a tab', 'a: 1\n\tb: 2\n', 2, 'Tabs are not allowed as indentation'],
  ])('%s', (_what, text, line, reason) => {
    expect(() => parseValues(text, 'values file v.yaml')).toThrow(
      `values file v.yaml: YAML syntax error at line ${line}: ${reason}`,
    );
  });

  it('duplicate keys are accepted, as helm accepts them', () => {
    expect(parseValues('a: 1\na: 2\n', 'v')).toEqual({ a: 2 });
  });
});
