import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DOTENV_MAX_BYTES, DotenvOutputs, JsonOutputs, Summary, dotenvKey } from '@kubeline/runtime';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-out-'));

describe('GitLab dotenv outputs', () => {
  it('keys are [A-Z0-9_] prefixed by the action', () => {
    expect(dotenvKey('build-image', 'image-json')).toBe('BUILD_IMAGE_IMAGE_JSON');
  });

  it('short single-line values stay inline; JSON, multiline and long values go to files', () => {
    const dir = tmp();
    const w = new DotenvOutputs('probe', path.join(dir, 'r.env'));
    w.set('digest', 'sha256:abc');
    w.set('meta', '{"a":1}', { json: true });
    w.set('text', 'a\nb');
    w.set('long', 'x'.repeat(2000));
    w.flush();
    const lines = fs.readFileSync(path.join(dir, 'r.env'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('PROBE_DIGEST=sha256:abc');
    const file = (key: string) => lines.find((l) => l.startsWith(`${key}=`))!.split('=')[1]!;
    expect(fs.readFileSync(file('PROBE_META'), 'utf8')).toBe('{"a":1}');
    expect(fs.readFileSync(file('PROBE_TEXT'), 'utf8')).toBe('a\nb');
    expect(fs.readFileSync(file('PROBE_LONG'), 'utf8')).toHaveLength(2000);
  });

  it('the report never exceeds 5 KB: values past the budget go to files', () => {
    const dir = tmp();
    const w = new DotenvOutputs('probe', path.join(dir, 'r.env'));
    for (let i = 0; i < 12; i++) w.set(`v${i}`, 'y'.repeat(900));
    w.flush();
    const report = fs.readFileSync(path.join(dir, 'r.env'));
    expect(report.length).toBeLessThanOrEqual(DOTENV_MAX_BYTES);
    expect(report.toString()).toContain('PROBE_V0=yyy');
    expect(report.toString()).toMatch(/PROBE_V11=\/.*v11\.txt/);
  });
});

describe('CLI JSON outputs', () => {
  it('prints one JSON object when flushed', () => {
    const stream = new PassThrough();
    const w = new JsonOutputs((t) => stream.write(t));
    w.set('a', '1');
    w.set('b', 'two');
    w.flush();
    expect(JSON.parse(stream.read().toString())).toEqual({ a: '1', b: 'two' });
  });
});

describe('Summary', () => {
  it('renders tables (escaping pipes and newlines), details and mermaid', () => {
    const s = new Summary()
      .heading('deploy')
      .table(['k', 'v'], [['a|b', 'x\ny']])
      .details('events', 'e1')
      .mermaid('graph LR; a-->b');
    const md = s.toString();
    expect(md).toContain('| k | v |\n| --- | --- |\n| a\\|b | x<br>y |');
    expect(md).toContain('<details><summary>events</summary>\n\ne1\n\n</details>');
    expect(md).toContain('```mermaid\ngraph LR; a-->b\n```');
  });

  it('appends to GITHUB_STEP_SUMMARY on GitHub and to a file elsewhere', () => {
    const dir = tmp();
    const gh = path.join(dir, 'gh.md');
    fs.writeFileSync(gh, 'before\n');
    new Summary().text('one').write('x', { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: gh });
    expect(fs.readFileSync(gh, 'utf8')).toBe('before\none\n');
    // On GitLab the job's working directory is the project dir, which artifact paths are relative to.
    const file = new Summary().text('two').write('x', { GITLAB_CI: 'true' });
    expect(file).toBe(path.join(process.cwd(), 'kubeline-x-summary.md'));
    fs.rmSync(file!);
    expect(new Summary().text('three').write('x', { RUNNER_TEMP: dir })).toBe(
      path.join(dir, 'kubeline-x-summary.md'),
    );
    expect(new Summary().write('x', { RUNNER_TEMP: dir })).toBeUndefined();
  });
});
