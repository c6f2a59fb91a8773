// The generated GitLab components as GitLab reads them: typed spec:inputs (required, options, regex,
// boolean/number/array), a stage per component, environments and resource groups on deploying jobs,
// the Sigstore ID token for keyless signing, dotenv outputs and only the reports a job produces, in
// the kubeline image of the release file. gitlab-ci-local (a real pipeline engine) refuses bad includes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { readInputs, type InputParser } from '@kubeline/runtime';
import { loadActionYaml, type ActionMeta } from '../../packages/runtime/src/action-meta.js';
import { actionNames } from '../../scripts/actions.js';
import { jobImageRelease } from '../../scripts/gen.js';
import {
  COMPONENT_PROFILES,
  INPUT_PATTERNS,
  gitlabComponent,
  jobImageRef,
} from '../../scripts/gitlab-component.js';
import { REPORT_FILES } from '../../actions/trivy-scan/src/reports.js';
import { inputSpec as trivyInputs } from '../../actions/trivy-scan/src/inputs.js';
import { trivyCacheDir } from '../../actions/trivy-scan/src/locations.js';
import { componentsProject } from '../support/gitlab-project.js';
import { ROOT, runProcess } from '../support/processes.js';

type SpecInput = {
  type?: string;
  default?: unknown;
  description: string;
  options?: string[];
  regex?: string;
};
type Job = {
  stage: string;
  image: string;
  environment?: { name: string; url?: string };
  resource_group?: string;
  id_tokens?: Record<string, { aud: string }>;
  variables: Record<string, string>;
  script: string[];
  artifacts: { when: string; reports: Record<string, string>; paths: string[] };
  cache?: { key: string; paths: string[]; when: string };
};

function component(name: string): { inputs: Record<string, SpecInput>; job: Job; text: string } {
  const text = fs.readFileSync(path.join(ROOT, 'templates', `${name}.yml`), 'utf8');
  const [header, body] = YAML.parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  const inputs = (header as { spec: { inputs: Record<string, SpecInput> } }).spec.inputs;
  return { inputs, job: (body as Record<string, Job>)['$[[ inputs.job-name ]]']!, text };
}

const meta = (name: string): ActionMeta =>
  loadActionYaml(path.join(ROOT, 'actions', name, 'action.yml'), name);

async function parsers(name: string): Promise<Record<string, InputParser<unknown>>> {
  return (
    (await import(path.join(ROOT, 'actions', name, 'src', 'inputs.ts'))) as {
      inputSpec: Record<string, InputParser<unknown>>;
    }
  ).inputSpec;
}

const names = actionNames();
const DEPLOYING = ['canary-promote', 'gitops-promote', 'helm-deploy', 'rollback'];

describe('generated spec:inputs', () => {
  it.each(names)('%s: a required input has no default, every other input has one', (name) => {
    const { inputs } = component(name);
    for (const [input, decl] of Object.entries(meta(name).inputs)) {
      const spec = inputs[input]!;
      expect({ input, hasDefault: 'default' in spec }).toEqual({ input, hasDefault: !decl.required });
    }
    expect(Object.values(inputs).filter((i) => !('default' in i)).length).toBe(
      Object.values(meta(name).inputs).filter((d) => d.required).length,
    );
  });

  it.each(names)('%s: types, options and list defaults follow the action’s input parsers', async (name) => {
    const { inputs } = component(name);
    const spec = await parsers(name);
    for (const [input, decl] of Object.entries(meta(name).inputs)) {
      const type = spec[input]!.type;
      const s = inputs[input]!;
      const where = `${name}.${input} (${type})`;
      if (type === 'boolean') expect({ where, type: s.type }).toEqual({ where, type: 'boolean' });
      else if (type.startsWith('list')) {
        expect({ where, type: s.type }).toEqual({ where, type: 'array' });
        if (!decl.required) expect({ where, list: Array.isArray(s.default) }).toEqual({ where, list: true });
      } else if (type === 'number' && decl.default)
        expect({ where, type: s.type }).toEqual({ where, type: 'number' });
      else expect({ where, type: s.type }).toEqual({ where, type: undefined });
      if (type.includes(' | '))
        expect({ where, options: s.options }).toEqual({ where, options: type.split(' | ') });
      else expect({ where, options: s.options }).toEqual({ where, options: undefined });
    }
  });

  it('a list default becomes the YAML list of its items', () => {
    const { inputs } = component('trivy-scan');
    expect(inputs['db-repository']!.default).toEqual([
      'mirror.gcr.io/aquasec/trivy-db:2',
      'ghcr.io/aquasecurity/trivy-db:2',
    ]);
    expect(inputs['fail-on']!.default).toEqual(['CRITICAL']);
    expect(component('build-image').inputs.tags!.default).toEqual([]);
  });

  it('a regex is RE2 (no lookaround, no backreference), matches its default, and lets a CI/CD variable through', () => {
    let checked = 0;
    for (const name of names)
      for (const [input, s] of Object.entries(component(name).inputs)) {
        if (!s.regex) continue;
        checked++;
        const where = `${name}.${input}: ${s.regex}`;
        expect({ where, re2: !/\(\?[=!<]|\\[1-9]/.test(s.regex) }).toEqual({ where, re2: true });
        const re = new RegExp(s.regex);
        if ('default' in s)
          expect({ where, default: re.test(String(s.default)) }).toEqual({ where, default: true });
        expect({
          where,
          variable: re.test('$RELEASE_NAME') && re.test('web-${CI_ENVIRONMENT_SLUG}'),
        }).toEqual({
          where,
          variable: true,
        });
        // an empty default would meet GitLab's check of the default against the regex
        expect({ where, emptyDefault: s.default === '' }).toEqual({ where, emptyDefault: false });
      }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  const samples: Record<string, string[]> = {
    'helm-deploy.release': [
      'web',
      'web-2',
      'a'.repeat(53),
      'a'.repeat(54),
      'Web',
      '-web',
      'web-',
      'web_1',
      '',
    ],
    'canary-promote.deployment': ['web', 'a'.repeat(63), 'a'.repeat(64), 'web.v2', 'Web', 'web-'],
    'rollback.release': ['web', 'web.v2', 'a'.repeat(253), 'a'.repeat(254), 'Web', '.web'],
    'rollback.to': ['previous', 'last-good', '1', '12', '0', '01', 'latest', 'Previous'],
  };
  it.each(Object.entries(INPUT_PATTERNS).flatMap(([a, p]) => Object.keys(p).map((i) => `${a}.${i}`)))(
    '%s: the regex accepts exactly what the action accepts',
    async (key) => {
      const [action, input] = key.split('.') as [string, string];
      const parser = (await parsers(action))[input]!;
      const re = new RegExp(component(action).inputs[input]!.regex!);
      const values = samples[key];
      expect(values).toBeDefined();
      for (const v of values!.filter((x) => x !== '')) {
        let accepted = true;
        try {
          parser.parse(v, input);
        } catch {
          accepted = false;
        }
        expect({ key, v, regex: re.test(v) }).toEqual({ key, v, regex: accepted });
      }
    },
  );

  it('duration inputs carry a regex that accepts what the duration parser does', async () => {
    const { inputs } = component('helm-deploy');
    const re = new RegExp(inputs.timeout!.regex!);
    const parser = (await parsers('helm-deploy')).timeout!;
    for (const v of ['5m', '90s', '1h30m', '1.5m', '1500ms', '30', '5 m', 'five', '5d', 'm']) {
      let accepted = true;
      try {
        parser.parse(v, 'timeout');
      } catch {
        accepted = false;
      }
      expect({ v, regex: re.test(v) }).toEqual({ v, regex: accepted });
    }
  });
});

describe('generated jobs', () => {
  it('every action has a component profile, and every component a stage GitLab has without a stages list', () => {
    expect(Object.keys(COMPONENT_PROFILES).sort()).toEqual([...names].sort());
    const stages = Object.fromEntries(names.map((n) => [n, component(n).inputs.stage!.default]));
    expect(stages).toEqual({
      'build-image': 'build',
      'canary-promote': 'deploy',
      'cosign-sign': 'test',
      'gitops-promote': 'deploy',
      'helm-deploy': 'deploy',
      rollback: 'deploy',
      'setup-tools': 'build',
      'trivy-scan': 'test',
    });
    for (const n of names) expect(component(n).job.stage).toBe('$[[ inputs.stage ]]');
  });

  it.each(names)('%s: an environment and its resource group exactly when the job deploys', (name) => {
    const { inputs, job } = component(name);
    if (!DEPLOYING.includes(name)) {
      expect([job.environment, job.resource_group]).toEqual([undefined, undefined]);
      return;
    }
    expect(inputs.environment!.default).toBe('production');
    expect(job.environment!.name).toBe('$[[ inputs.environment ]]');
    expect(job.resource_group).toBe('$[[ inputs.environment ]]');
    // the action reads the same name when it has an input of its own
    if (meta(name).inputs.environment)
      expect(job.variables.INPUT_ENVIRONMENT).toBe('$[[ inputs.environment ]]');
  });

  it('helm-deploy’s environment URL is the one its own dotenv report sets', () => {
    const { job } = component('helm-deploy');
    expect(meta('helm-deploy').outputs['environment-url']).toBeDefined();
    expect(job.environment!.url).toBe('$HELM_DEPLOY_ENVIRONMENT_URL');
  });

  it.each(names)('%s: a Sigstore ID token only where keyless signing happens', (name) => {
    const { job } = component(name);
    expect(job.id_tokens).toEqual(
      name === 'cosign-sign' ? { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } } : undefined,
    );
  });

  it.each(names)(
    '%s: outputs as a dotenv report and kubeline-outputs/ artifacts, kept when the job fails',
    (name) => {
      const { job } = component(name);
      expect(job.variables.KUBELINE_DOTENV).toBe(`kubeline-${name}.env`);
      expect(job.artifacts.when).toBe('always');
      expect(job.artifacts.reports.dotenv).toBe(`kubeline-${name}.env`);
      expect(job.artifacts.paths).toEqual(['kubeline-outputs/', `kubeline-${name}-summary.md`]);
    },
  );

  it('declares a report only for a format the formats default produces, at the file trivy-scan writes', () => {
    const { inputs, job } = component('trivy-scan');
    const formats = inputs.formats!.default as string[];
    expect(formats).toEqual(['json', 'cyclonedx', 'gitlab']);
    expect(job.artifacts.reports).toEqual({
      dotenv: 'kubeline-trivy-scan.env',
      container_scanning: `kubeline-outputs/trivy-scan/${REPORT_FILES.gitlab}`,
      cyclonedx: `kubeline-outputs/trivy-scan/${REPORT_FILES.cyclonedx}`,
    });
    for (const n of names.filter((x) => x !== 'trivy-scan'))
      expect(Object.keys(component(n).job.artifacts.reports)).toEqual(['dotenv']);
  });

  it('trivy-scan keeps its DB in the project, where GitLab’s cache saves it between jobs; no other job caches', () => {
    const { inputs, job } = component('trivy-scan');
    expect(inputs['cache-dir']!.default).toBe('.kubeline-cache/trivy');
    expect(job.cache).toEqual({
      key: 'kubeline-trivy-$[[ inputs.trivy-version ]]',
      paths: ['$[[ inputs.cache-dir ]]'],
      when: 'always',
    });
    // the default is a folder the action resolves inside the project (GitLab caches nothing outside)
    expect(trivyCacheDir('.kubeline-cache/trivy', '0.70.0')).toBe(path.resolve('.kubeline-cache/trivy'));
    for (const n of names.filter((x) => x !== 'trivy-scan')) expect(component(n).job.cache).toBeUndefined();
  });

  it('declares no report whose format the default leaves out (negative control)', async () => {
    const trivy = meta('trivy-scan');
    const profile = COMPONENT_PROFILES['trivy-scan']!;
    const saved = profile.defaults;
    profile.defaults = { formats: 'json, sarif' };
    try {
      const text = gitlabComponent(trivy, await parsers('trivy-scan'), jobImageRelease());
      const job = (YAML.parseAllDocuments(text)[1]!.toJS() as Record<string, Job>)['$[[ inputs.job-name ]]']!;
      expect(job.artifacts.reports).toEqual({ dotenv: 'kubeline-trivy-scan.env' });
    } finally {
      profile.defaults = saved;
    }
  });

  it.each(names)('%s: inputs reach the job as variables, never in a script line', (name) => {
    const { job, text } = component(name);
    for (const line of job.script) expect(line).not.toMatch(/\$\[\[/);
    expect(job.script).toEqual([`$KUBELINE_CLI ${name}`]);
    for (const input of Object.keys(meta(name).inputs))
      expect(job.variables[`INPUT_${input.toUpperCase().replace(/-/g, '_')}`]).toMatch(
        new RegExp(`^ ?\\$\\[\\[ inputs\\.${input} \\]\\]$`),
      );
    // a list's variable is single-quoted text: GitLab never puts an array where a string belongs
    for (const [input, s] of Object.entries(component(name).inputs))
      if (s.type === 'array')
        expect(text).toContain(`INPUT_${input.toUpperCase().replace(/-/g, '_')}: ' $[[ inputs.${input} ]]'`);
  });
});

describe('job image and CLI', () => {
  it('defaults to the kubeline image of release/job-image.json and the CLI inside it', () => {
    const release = jobImageRelease();
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
      name: string;
    };
    expect(release.image).toBe('ghcr.io/kubeline/kubeline');
    expect(release.version).toBe(pkg.version);
    expect(pkg.name).toBe('@kubeline/cli');
    for (const n of names) {
      const { inputs, job } = component(n);
      expect(inputs['job-image']!.default).toBe(jobImageRef(release));
      expect(inputs['kubeline-cli']!.default).toBe('kubeline');
      expect(inputs['kubeline-cli']!.description).toContain(`npx --yes @kubeline/cli@${pkg.version}`);
      expect(job.image).toBe('$[[ inputs.job-image ]]');
      expect(job.variables.KUBELINE_CLI).toBe('$[[ inputs.kubeline-cli ]]');
    }
  });

  it('pins by digest once released, by tag before, and refuses a malformed digest', () => {
    const base = { image: 'ghcr.io/kubeline/kubeline', version: '0.1.0' };
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(jobImageRef({ ...base, digest: null })).toBe('ghcr.io/kubeline/kubeline:0.1.0');
    expect(jobImageRef({ ...base, digest })).toBe(`ghcr.io/kubeline/kubeline:0.1.0@${digest}`);
    expect(() => jobImageRef({ ...base, digest: 'sha256:abc' })).toThrow(/not sha256:<64 hex>/);
  });

  it('the README says whether the image is pinned by digest yet', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const release = jobImageRelease();
    expect(readme).toContain(
      release.digest
        ? `pinned by digest: \`${jobImageRef(release)}\``
        : 'by tag until the first release pins its digest',
    );
    for (const n of names)
      expect(readme).toContain(`  - component: gitlab.com/kubeline/kubeline/${n}@${release.version}`);
  });
});

describe('a list input as GitLab passes it', () => {
  it('reads the JSON text of a `type: array` input as the list', () => {
    const m = meta('trivy-scan');
    const v = readInputs(m, trivyInputs, {
      INPUT_FORMATS: ' ["json","cyclonedx","gitlab"]',
      INPUT_FAIL_ON: ' ["CRITICAL", "HIGH"]',
      INPUT_DB_REPOSITORY: ' []',
    });
    expect(v.formats).toEqual(['json', 'cyclonedx', 'gitlab']);
    expect(v['fail-on']).toEqual(['CRITICAL', 'HIGH']);
    expect(v['db-repository']).toEqual([
      'mirror.gcr.io/aquasec/trivy-db:2',
      'ghcr.io/aquasecurity/trivy-db:2',
    ]);
    // comma text, as on GitHub, still works
    expect(readInputs(m, trivyInputs, { INPUT_FORMATS: 'json, sarif' }).formats).toEqual(['json', 'sarif']);
  });
});

describe('in gitlab-ci-local', () => {
  const GITLAB_CI_LOCAL = path.join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local');
  let dir: string;
  const env = { PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` };
  /** gitlab-ci-local resolves a local include from a git project with an origin. */
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-glspec-'));
    await componentsProject(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function preview(inputs: Record<string, unknown>) {
    const pipeline = { include: [{ local: 'templates/helm-deploy.yml', inputs }] };
    fs.writeFileSync(path.join(dir, '.gitlab-ci.yml'), YAML.stringify(pipeline));
    const r = await runProcess(GITLAB_CI_LOCAL, ['--preview'], env, dir);
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it('expands a valid include, and refuses a missing required input, a bad name and a string for a list', async () => {
    const ok = await preview({ release: 'web', chart: 'charts/web', 'values-files': ['a.yaml'] });
    expect(ok.out).not.toMatch(/invalid/i);
    expect(ok.code).toBe(0);
    const missing = await preview({ chart: 'charts/web' });
    expect(missing.out).toMatch(/`release` input: required value has not been provided/);
    const bad = await preview({ release: 'Web_1', chart: 'charts/web' });
    expect(bad.out).toMatch(/`release` input: `Web_1` does not match required regex/);
    const text = await preview({ release: 'web', chart: 'charts/web', 'values-files': 'a.yaml' });
    expect(text.out).toMatch(/`values-files` input: provided value is not a array/);
    const choice = await preview({ release: 'web', chart: 'charts/web', 'server-side': 'maybe' });
    expect(choice.out).toMatch(/`maybe` cannot be used because it is not in the list of allowed options/);
  }, 60_000);
});
