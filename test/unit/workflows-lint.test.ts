// The workflows kubeline runs and the example pipelines it ships, checked by the real tools: actionlint
// (built from source) checks every `with:` key and `steps.*.outputs.*` reference of the GitHub examples
// against our own action.yml files; gitlab-ci-local expands the GitLab examples' component includes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { actionNames } from '../../scripts/actions.js';
import { componentsProject } from '../support/gitlab-project.js';
import { ROOT, runProcess, type Ran } from '../support/processes.js';

const EXAMPLES_GITHUB = path.join(ROOT, 'workflows-examples', 'github');
const EXAMPLES_GITLAB = path.join(ROOT, 'workflows-examples', 'gitlab');
const REPO_WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const GITLAB_CI_LOCAL = path.join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local');

/** A kubeline step as the examples write it: `uses: kubeline/kubeline/actions/<name>@<ref>`. */
const KUBELINE_USES = /^(\s*(?:-\s+)?uses:\s*)kubeline\/kubeline\/actions\/([a-z0-9-]+)@\S+/gm;
const KUBELINE_COMPONENT = /^gitlab\.com\/kubeline\/kubeline\/([a-z0-9-]+)@(\S+)$/;
/** The step each example chains on: build-image's image contract, never a tag. */
const IMAGE_FROM_BUILD = /^\$\{\{ (?:needs|steps)\.build\.outputs\.image-json \}\}$/;

const yamlFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

let actionlintPath: string;
const gobin = (...args: string[]) =>
  runProcess('bash', [path.join(ROOT, 'test', 'stack', 'gobin', 'build.sh'), ...args], { ...process.env });

beforeAll(async () => {
  let found = await gobin('--print-path', 'actionlint');
  if (found.code !== 0) {
    const built = await gobin('actionlint'); // a cold build from the Go module proxy takes a minute or two
    if (built.code !== 0) throw new Error(`building actionlint failed:\n${built.stdout}${built.stderr}`);
    found = await gobin('--print-path', 'actionlint');
  }
  actionlintPath = found.stdout.trim();
  expect(fs.existsSync(actionlintPath)).toBe(true);
}, 900_000);

/**
 * shellcheck and pyflakes are off: whether a machine has them installed must not change the verdict.
 * Everything else actionlint checks (syntax, expressions, action inputs and outputs, permissions,
 * script injection, runner labels) is on.
 */
function actionlint(cwd: string, files: string[]): Promise<Ran> {
  return runProcess(
    actionlintPath,
    ['-no-color', '-oneline', '-shellcheck=', '-pyflakes=', ...files],
    {},
    cwd,
  );
}

/** The examples with every kubeline step pointed at `./actions/<name>`, and how many were rewritten. */
function localised(text: string): { text: string; actions: string[] } {
  const actions: string[] = [];
  const out = text.replace(KUBELINE_USES, (_m, lead: string, name: string) => {
    actions.push(name);
    return `${lead}./actions/${name}`;
  });
  return { text: out, actions };
}

/**
 * A throwaway repository actionlint treats as a project (a `.git` and `.github/workflows`), holding the
 * examples and every action.yml at its real relative path, so a local `uses: ./actions/<name>` is
 * checked against our action.yml. The bundles an action.yml names are stand-ins: actionlint only
 * checks that they exist, and the repository's own workflows are linted against the real ones.
 */
function exampleProject(edit: (file: string, text: string) => string = (_f, t) => t): {
  dir: string;
  files: string[];
  uses: Record<string, string[]>;
} {
  const dir = tempDir('kubeline-actionlint-');
  fs.mkdirSync(path.join(dir, '.git'));
  fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  for (const name of actionNames()) {
    const src = path.join(ROOT, 'actions', name, 'action.yml');
    fs.mkdirSync(path.join(dir, 'actions', name), { recursive: true });
    fs.copyFileSync(src, path.join(dir, 'actions', name, 'action.yml'));
    const runs = (YAML.parse(fs.readFileSync(src, 'utf8')) as { runs: Record<string, string> }).runs;
    for (const key of ['pre', 'main', 'post']) {
      if (!runs[key]) continue;
      const bundle = path.join(dir, 'actions', name, runs[key]);
      fs.mkdirSync(path.dirname(bundle), { recursive: true });
      fs.writeFileSync(bundle, '');
    }
  }
  const files: string[] = [];
  const uses: Record<string, string[]> = {};
  for (const file of yamlFiles(EXAMPLES_GITHUB)) {
    const base = path.basename(file);
    const { text, actions } = localised(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(path.join(dir, '.github', 'workflows', base), edit(base, text));
    files.push(path.join('.github', 'workflows', base));
    uses[base] = actions;
  }
  return { dir, files, uses };
}

describe('actionlint', () => {
  it('passes kubeline’s own workflows (local actions checked against their action.yml and bundles)', async () => {
    const files = yamlFiles(REPO_WORKFLOWS).map((f) => path.relative(ROOT, f));
    expect(files.length).toBeGreaterThan(0);
    const r = await actionlint(ROOT, files);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('passes the GitHub examples with every kubeline step checked against our action.yml', async () => {
    const project = exampleProject();
    // each example really runs the kubeline actions it is about, so actionlint had them to check
    expect(project.uses).toEqual({
      'build-scan-sign.yml': ['build-image', 'trivy-scan', 'cosign-sign'],
      'canary.yml': ['build-image', 'canary-promote'],
      'deploy.yml': ['build-image', 'trivy-scan', 'cosign-sign', 'helm-deploy', 'helm-deploy'],
      'gitops.yml': ['build-image', 'cosign-sign', 'gitops-promote', 'gitops-promote'],
      'rollback.yml': ['rollback'],
    });
    for (const name of Object.values(project.uses).flat())
      expect(fs.existsSync(path.join(ROOT, 'actions', name, 'action.yml'))).toBe(true);
    const r = await actionlint(project.dir, project.files);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails an example with a misspelled input key or output name, naming it (negative control)', async () => {
    const project = exampleProject((file, text) =>
      file === 'build-scan-sign.yml'
        ? text
            .replace(/^(\s+)fail-on: CRITICAL/m, '$1fail-onn: CRITICAL')
            .replace('steps.scan.outputs.sarif-report', 'steps.scan.outputs.sarif-reprt')
        : text,
    );
    const r = await actionlint(project.dir, project.files);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /build-scan-sign\.yml:\d+:\d+: input "fail-onn" is not defined in action "kubeline trivy-scan"/,
    );
    expect(r.stdout).toMatch(/build-scan-sign\.yml:\d+:\d+: property "sarif-reprt" is not defined/);
    expect(r.stdout).not.toMatch(/deploy\.yml|rollback\.yml/);
  });
});

type Step = { uses?: string; with?: Record<string, unknown> };
type Job = { uses?: string; steps?: Step[]; outputs?: Record<string, string> };
type Workflow = { jobs: Record<string, Job> };

const workflowFiles = () => [...yamlFiles(REPO_WORKFLOWS), ...yamlFiles(EXAMPLES_GITHUB)];
const parseWorkflow = (file: string) => YAML.parse(fs.readFileSync(file, 'utf8')) as Workflow;

describe('GitHub workflows', () => {
  it('pin every third-party action to a commit SHA and every kubeline step per step', () => {
    let thirdParty = 0;
    for (const file of workflowFiles()) {
      const text = fs.readFileSync(file, 'utf8');
      const rel = path.relative(ROOT, file);
      for (const [name, job] of Object.entries(parseWorkflow(file).jobs)) {
        for (const uses of [job.uses, ...(job.steps ?? []).map((s) => s.uses)]) {
          if (!uses || uses.startsWith('./')) continue;
          const where = `${rel} job ${name}: ${uses}`;
          const line = text
            .split('\n')
            .find((l) => new RegExp(`uses:\\s*${uses.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(l));
          if (uses.startsWith('kubeline/kubeline/')) {
            expect({
              where,
              ok: /^kubeline\/kubeline\/actions\/[a-z0-9-]+@v\d+\.\d+\.\d+$/.test(uses),
            }).toEqual({ where, ok: true });
            expect({ where, line }).toEqual({ where, line: expect.stringMatching(/# pin a commit SHA/) });
            continue;
          }
          thirdParty++;
          const pinned = uses.startsWith('docker://')
            ? /@sha256:[0-9a-f]{64}$/.test(uses)
            : /^[^@\s]+@[0-9a-f]{40}$/.test(uses);
          expect({ where, pinned }).toEqual({ where, pinned: true });
          // the version the SHA stands for, for the reader and for update bots
          expect({ where, line }).toEqual({
            where,
            line: expect.stringMatching(/@[0-9a-f]{40} # v\d+(\.\d+)*$/),
          });
        }
      }
    }
    expect(thirdParty).toBeGreaterThan(5);
  });

  it('hand the image on as build-image’s image-json, job to job and step to step', () => {
    let checked = 0;
    for (const file of yamlFiles(EXAMPLES_GITHUB)) {
      for (const [name, job] of Object.entries(parseWorkflow(file).jobs)) {
        if (job.outputs?.['image-json'] !== undefined)
          expect(job.outputs['image-json']).toBe('${{ steps.build.outputs.image-json }}');
        for (const step of job.steps ?? []) {
          if (!step.uses?.startsWith('kubeline/kubeline/') || step.with?.image === undefined) continue;
          const where = `${path.basename(file)} job ${name}: ${step.uses} image`;
          expect({ where, image: step.with.image }).toEqual({
            where,
            image: expect.stringMatching(IMAGE_FROM_BUILD),
          });
          checked++;
        }
      }
    }
    expect(checked).toBe(10); // scan and sign in both examples, both deploys, the canary, and gitops's sign and two promotions
  });
});

type SpecInput = {
  default?: unknown;
  type?: 'string' | 'boolean' | 'number' | 'array';
  options?: unknown[];
  regex?: string;
};
type Include = { component?: string; local?: string; inputs?: Record<string, unknown> };

function templateSpec(file: string): Record<string, SpecInput> {
  const [header] = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  return ((header?.toJS() as { spec?: { inputs?: Record<string, SpecInput> } }).spec?.inputs ?? {}) as Record<
    string,
    SpecInput
  >;
}

/** Which template an include names: a component of kubeline's, or a local path to one of templates/. */
function includedTemplate(inc: Include): { action: string; ref?: string } | undefined {
  if (inc.component) {
    const m = KUBELINE_COMPONENT.exec(inc.component);
    expect({ component: inc.component, kubeline: m !== null }).toEqual({
      component: inc.component,
      kubeline: true,
    });
    return { action: m![1]!, ref: m![2]! };
  }
  const m = inc.local ? /^\/?templates\/([a-z0-9-]+)\.yml$/.exec(inc.local) : null;
  return m ? { action: m[1]! } : undefined;
}

describe('GitLab examples', () => {
  const examples = yamlFiles(EXAMPLES_GITLAB);

  it('include only templates that exist, with only the inputs each declares, of the declared types', () => {
    expect(examples.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['deploy.gitlab-ci.yml', 'setup-tools.gitlab-ci.yml']),
    );
    const included = new Set<string>();
    for (const file of examples) {
      const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { include?: Include[] };
      for (const inc of doc.include ?? []) {
        const t = includedTemplate(inc);
        if (!t) continue;
        const where = `${path.basename(file)}: ${inc.component ?? inc.local}`;
        if (t.ref !== undefined)
          expect({ where, ref: t.ref }).toEqual({
            where,
            ref: expect.stringMatching(/^(\d+\.\d+\.\d+|[0-9a-f]{40})$/),
          });
        const template = path.join(ROOT, 'templates', `${t.action}.yml`);
        const actionExists = fs.existsSync(path.join(ROOT, 'actions', t.action, 'action.yml'));
        if (!actionExists && !fs.existsSync(template)) continue; // an action still being written
        expect({ where, template: fs.existsSync(template) }).toEqual({ where, template: true });
        included.add(t.action);
        const spec = templateSpec(template);
        for (const [key, value] of Object.entries(inc.inputs ?? {})) {
          const decl = spec[key];
          expect({ where, input: key, declared: decl !== undefined }).toEqual({
            where,
            input: key,
            declared: true,
          });
          if (!decl) continue;
          if (decl.type === 'boolean')
            expect({ where, input: key, value }).toEqual({ where, input: key, value: expect.any(Boolean) });
          if (decl.type === 'number')
            expect({ where, input: key, value }).toEqual({ where, input: key, value: expect.any(Number) });
          if (decl.type === 'array')
            expect({ where, input: key, list: Array.isArray(value) }).toEqual({
              where,
              input: key,
              list: true,
            });
          if (decl.regex)
            expect({ where, input: key, value, matches: new RegExp(decl.regex).test(String(value)) }).toEqual(
              {
                where,
                input: key,
                value,
                matches: true,
              },
            );
          if (decl.options && !String(value).startsWith('$'))
            expect({ where, input: key, value, allowed: decl.options.includes(value) }).toEqual({
              where,
              input: key,
              value,
              allowed: true,
            });
        }
        for (const [key, decl] of Object.entries(spec))
          if (decl.default === undefined)
            expect({ where, required: key, given: key in (inc.inputs ?? {}) }).toEqual({
              where,
              required: key,
              given: true,
            });
      }
    }
    expect([...included].sort()).toEqual(
      [
        'build-image',
        'canary-promote',
        'cosign-sign',
        'gitops-promote',
        'helm-deploy',
        'rollback',
        'setup-tools',
        'trivy-scan',
      ].filter((a) => fs.existsSync(path.join(ROOT, 'actions', a, 'action.yml'))),
    );
  });

  it('hand the image on as build-image’s image contract (BUILD_IMAGE_IMAGE_JSON)', () => {
    const doc = YAML.parse(fs.readFileSync(path.join(EXAMPLES_GITLAB, 'deploy.gitlab-ci.yml'), 'utf8')) as {
      include: Include[];
    };
    const images = doc.include.filter((i) => i.inputs && 'image' in i.inputs).map((i) => i.inputs!.image);
    expect(images).toEqual(Array(4).fill('$BUILD_IMAGE_IMAGE_JSON')); // scan, sign, staging, production
  });

  describe('in gitlab-ci-local (component includes resolved from a local clone)', () => {
    type PreviewJob = {
      image?: { name: string };
      variables?: Record<string, string>;
      [key: string]: unknown;
    };
    let list: Ran;
    let preview: Record<string, PreviewJob>;

    /**
     * gitlab-ci-local reads a component from the working tree when the include names this project (its
     * origin remote) at the checked-out commit: a clone whose origin is `kubeline/kubeline`, with the
     * example's `@0.1.0` turned into that commit, runs the real component include path offline.
     */
    beforeAll(async () => {
      const dir = tempDir('kubeline-glc-examples-');
      const sha = await componentsProject(dir);
      const example = fs.readFileSync(path.join(EXAMPLES_GITLAB, 'deploy.gitlab-ci.yml'), 'utf8');
      const pinned = example.replace(/^(\s*- component: \S+)@0\.1\.0$/gm, `$1@${sha}`);
      expect(pinned.match(new RegExp(`@${sha}$`, 'gm'))).toHaveLength(6);
      fs.writeFileSync(path.join(dir, '.gitlab-ci.yml'), pinned);
      const env = { PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` };
      list = await runProcess(GITLAB_CI_LOCAL, ['--list'], env, dir);
      const shown = await runProcess(GITLAB_CI_LOCAL, ['--preview'], env, dir);
      expect(shown.stderr).not.toMatch(/invalid|error/i);
      expect(shown.code).toBe(0);
      preview = YAML.parse(shown.stdout.slice(shown.stdout.indexOf('---'))) as Record<string, PreviewJob>;
    }, 120_000);

    it('lists every job in its stage, with its needs, environment and when', () => {
      expect(list.code).toBe(0);
      const rows = list.stdout
        .split('\n')
        .filter((l) => /^[a-z][a-z-]*\s{2,}/.test(l) && !l.startsWith('name '))
        .map((l) => l.trim().split(/\s{2,}/));
      expect(rows).toEqual([
        ['build', 'build', 'on_success', 'false'],
        ['scan', 'scan', 'on_success', 'false', '[build]'],
        ['sign', 'sign', 'on_success', 'false', '[build,scan]'],
        ['deploy-staging', 'staging', 'on_success', 'false', 'staging', '[build,scan,sign]'],
        ['deploy-production', 'production', 'manual', 'false', 'production', '[build,scan,deploy-staging]'],
        ['rollback-production', 'rollback', 'manual', 'true', 'production', '[]'],
      ]);
    });

    it('expands the components into jobs that serialise deploys, sign keylessly and chain by digest', () => {
      expect(preview.stages).toEqual([
        '.pre',
        'build',
        'scan',
        'sign',
        'staging',
        'production',
        'rollback',
        '.post',
      ]);
      expect(preview['deploy-staging']!.resource_group).toBe('staging');
      expect(preview['deploy-production']!.resource_group).toBe('production');
      expect(preview['rollback-production']!.resource_group).toBe('production');
      expect(preview.sign!.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
      expect(preview.sign!.variables).toMatchObject({
        INPUT_KEYLESS: 'true',
        INPUT_IMAGE: '$BUILD_IMAGE_IMAGE_JSON',
      });
      expect(preview['deploy-staging']!.environment).toEqual({
        name: 'staging',
        url: '$HELM_DEPLOY_ENVIRONMENT_URL',
      });
      expect(preview['rollback-production']!.environment).toEqual({ name: 'production' });
      // lists arrive as JSON text, which the runtime reads as the list
      expect(preview.scan!.variables).toMatchObject({
        INPUT_FORMATS: ' ["json","cyclonedx","gitlab"]',
        INPUT_FAIL_ON: ' ["CRITICAL"]',
      });
      for (const job of ['deploy-staging', 'deploy-production'])
        expect(preview[job]!.variables).toMatchObject({
          INPUT_IMAGE: '$BUILD_IMAGE_IMAGE_JSON',
          INPUT_REQUIRE_SIGNATURE: 'true',
          INPUT_REQUIRE_SCAN: '$TRIVY_SCAN_JSON_REPORT',
          INPUT_HELM_VERSION: '4',
        });
      expect(preview['rollback-production']!.variables).toMatchObject({
        INPUT_TO: '$ROLLBACK_TO',
        ROLLBACK_TO: 'last-good',
      });
      expect(preview.scan!.artifacts).toMatchObject({
        reports: {
          dotenv: 'kubeline-trivy-scan.env',
          container_scanning: 'kubeline-outputs/trivy-scan/gl-container-scanning-report.json',
          cyclonedx: 'kubeline-outputs/trivy-scan/trivy-report.cdx.json',
        },
      });
    });

    it('runs every kubeline job in the kubeline image, not in the image it works on', () => {
      // The component's job-image input must not be the action's own `image` input.
      const release = JSON.parse(fs.readFileSync(path.join(ROOT, 'release', 'job-image.json'), 'utf8')) as {
        image: string;
        version: string;
        digest: string | null;
      };
      const kubeline = `${release.image}:${release.version}${release.digest ? `@${release.digest}` : ''}`;
      const jobImages = Object.fromEntries(
        ['build', 'scan', 'sign', 'deploy-staging', 'deploy-production', 'rollback-production'].map((j) => [
          j,
          preview[j]!.image?.name,
        ]),
      );
      expect(jobImages).toEqual({
        build: kubeline,
        scan: kubeline,
        sign: kubeline,
        'deploy-staging': kubeline,
        'deploy-production': kubeline,
        'rollback-production': kubeline,
      });
    });
  });
});
