// Running the GitLab example pipelines as a project on a GitLab instance runs them, with
// gitlab-ci-local (GitLab's pipeline semantics: component includes with typed inputs, rules, needs,
// artifacts and dotenv reports, environment-scoped file variables) on the docker executor of the
// stack's dockerd: every component job runs in the kubeline job image, known to docker under the name
// the components default to, so nothing is pulled. Jobs share the host network (the stack listens on
// loopback) and reach nothing else: a dead proxy for everything that is not loopback.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../../stack/paths.js';
import { componentsProject } from '../../support/gitlab-project.js';
import { NODE, runProcess } from '../../support/processes.js';
import { recordRun } from '../../support/secret-audit.js';
import { buildAndPush } from './images.js';
import { copyBinaryWithLibraries } from './rootfs.js';
import { scratchDir } from './scratch.js';
import { loadStackEnv } from './stack-env.js';
import { git, writeUserApp } from './user-app.js';

const GITLAB_CI_LOCAL = join(repoRoot, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');
const COMPONENT = /^gitlab\.com\/kubeline\/kubeline\/([\w-]+)@(\S+)$/;

/** A CI/CD variable as a project sets it: plain, or a file, optionally per environment. */
export type Variable = string | { type: 'file' | 'variable'; values: Record<string, string> };

/** What the test changes in an example, each change checked against the example's text. */
export interface PipelineEdits {
  /** Per component (its `job-name`): inputs set to a value, or removed with `undefined`. */
  inputs?: Record<string, Record<string, unknown>>;
  /** Keys removed from the pipeline's own job definitions (`build: [services]`). */
  drop?: Record<string, string[]>;
}

export interface PipelineRun {
  code: number;
  output: string;
  seconds: number;
  /** Jobs by result, from gitlab-ci-local's summary. */
  passed: string[];
  failed: string[];
}

interface Include {
  component?: string;
  inputs?: Record<string, unknown>;
}

/**
 * The example with its components pinned to `sha` (gitlab-ci-local takes a component of the project
 * it runs in, at the checked-out commit, from the working tree) and the edits applied; an edit that
 * names an input, a component or a job the example lacks throws, so the example cannot drift away.
 */
export function pipelineFromExample(example: string, sha: string, edits: PipelineEdits = {}): string {
  const file = join(repoRoot, 'workflows-examples', 'gitlab', example);
  const pipeline = parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { include: Include[] };
  const edited = new Set<string>();
  for (const include of pipeline.include) {
    const m = COMPONENT.exec(include.component ?? '');
    if (!m) throw new Error(`${example}: include ${JSON.stringify(include)} is not a kubeline component`);
    include.component = `gitlab.com/kubeline/kubeline/${m[1]}@${sha}`;
    const inputs = (include.inputs ??= {});
    const jobName = String(inputs['job-name'] ?? `kubeline-${m[1]}`);
    const change = edits.inputs?.[jobName];
    if (!change) continue;
    edited.add(jobName);
    for (const [key, value] of Object.entries(change)) {
      if (value !== undefined) inputs[key] = value;
      else if (key in inputs) delete inputs[key];
      else throw new Error(`${example}: component job ${jobName} has no input ${key} to remove`);
    }
  }
  const missing = Object.keys(edits.inputs ?? {}).filter((j) => !edited.has(j));
  if (missing.length > 0) throw new Error(`${example}: no component job named ${missing.join(', ')}`);
  for (const [job, keys] of Object.entries(edits.drop ?? {})) {
    const definition = pipeline[job] as Record<string, unknown> | undefined;
    for (const key of keys) {
      if (!definition || !(key in definition)) throw new Error(`${example}: job ${job} has no ${key}`);
      delete definition[key];
    }
  }
  return stringify(pipeline, { lineWidth: 0 });
}

/**
 * A project holding kubeline's components (its origin is kubeline's GitLab project, so component
 * includes at its commit resolve locally) and the user's application. Returns the directory.
 */
export async function gitlabProject(name: string): Promise<{ dir: string; sha: string }> {
  const dir = scratchDir(`gitlab-${name}`);
  writeUserApp(dir);
  writeFileSync(join(dir, 'marker'), `initial ${Date.now()}\n`);
  writeFileSync(join(dir, '.gitignore'), '.gitlab-ci-local/\n');
  const sha = await componentsProject(dir);
  return { dir, sha };
}

/** HEAD of the project after a new commit (components then resolve at that commit). */
export async function headOf(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

/**
 * gitlab-ci-local's helper image (firecow/gitlab-ci-local-util: prepares the build volume and copies
 * artifacts and dotenv reports out with bash and rsync) cannot be pulled here: a stand-in with bash,
 * rsync and busybox is pushed to `repository` and returned by digest.
 */
export async function pushHelperImage(repository: string, docker: Record<string, string>): Promise<string> {
  const dir = scratchDir('gitlab-ci-local-helper');
  const root = join(dir, 'rootfs');
  copyBinaryWithLibraries(root, '/bin/busybox', '/bin/busybox');
  copyBinaryWithLibraries(root, '/bin/bash', '/bin/bash');
  copyBinaryWithLibraries(root, '/usr/bin/rsync', '/usr/bin/rsync');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY rootfs/ /\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/usr/bin:/bin\n',
  );
  const digest = await buildAndPush(dir, [`${repository}:stand-in`], docker);
  return `${repository}@${digest}`;
}

/** Parses gitlab-ci-local's closing summary: `PASS  job`, `FAIL  job` (a failure allowed: `WARN`). */
function summary(output: string) {
  const passed: string[] = [];
  const failed: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(PASS|FAIL)\s+(\S+)$/.exec(line.trimEnd());
    if (m?.[1] === 'FAIL') failed.push(m[2]!);
    else if (m?.[2]) passed.push(m[2]);
  }
  return { passed, failed };
}

export interface RunOptions {
  /** The project's CI/CD variables, written to a 0600 variables file (never argv). */
  variables: Record<string, Variable>;
  /** Manual jobs to start, as a user presses play. */
  manual?: string[];
  /** Jobs to run (with what they need) instead of the whole pipeline. */
  jobs?: string[];
  /** The image of gitlab-ci-local's helper container (the one that prepares the build volume). */
  helperImage: string;
  /** Host paths mounted into every job container, as a runner's `volumes` setting does. */
  volumes?: string[];
}

/** Runs `.gitlab-ci.yml` of `dir` (written from `pipeline`); never throws on a failed pipeline. */
export async function runPipeline(dir: string, pipeline: string, o: RunOptions): Promise<PipelineRun> {
  const stack = loadStackEnv();
  const work = scratchDir('gitlab-ci-local');
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  // A pipeline starts from a clean checkout with no artifacts, as a GitLab runner's does; the
  // runner's cache (`cache:`) outlives pipelines, as GitLab's does.
  await git(dir, ['clean', '-ffdxq', '-e', '/.gitlab-ci-local/cache/']);
  writeFileSync(join(dir, '.gitlab-ci.yml'), pipeline);
  const variablesFile = join(work, 'variables.yml');
  writeFileSync(variablesFile, stringify(o.variables), { mode: 0o600 });
  chmodSync(variablesFile, 0o600);
  const args = [
    GITLAB_CI_LOCAL,
    ...(o.jobs ?? []),
    ...(o.jobs ? ['--needs'] : []),
    ...['--variables-file', variablesFile, '--home', join(home, '.gitlab-ci-local')],
    ...['--network', 'host', '--pull-policy', 'if-not-present', '--helper-image', o.helperImage],
    ...(o.manual ?? []).flatMap((job) => ['--manual', job]),
    ...(o.volumes ?? []).flatMap((volume) => ['--volume', volume]),
    // GitLab predefines CI_REGISTRY_* for a project; here the variables file stands in for them
    ...[
      '--ignore-predefined-vars',
      Object.keys(o.variables)
        .filter((k) => k.startsWith('CI_'))
        .join(','),
    ],
    // artifacts reach a job only through needs/dependencies, never through the checkout
    ...['--no-artifacts-to-source', '--no-color', '--max-job-name-padding', '0', '--cleanup'],
  ];
  const started = Date.now();
  const r = await runProcess(
    NODE,
    args,
    {
      HOME: home,
      PATH: `${join(repoRoot, 'node_modules', '.bin')}:/usr/local/bin:/usr/bin:/bin`,
      DOCKER_HOST: stack.DOCKER_HOST,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    },
    dir,
  );
  const seconds = (Date.now() - started) / 1000;
  const output = `${r.stdout}\n${r.stderr}`;
  writeFileSync(join(work, 'output.log'), output);
  recordRun(`gitlab-ci-local ${o.jobs?.join(' ') ?? 'pipeline'}`, {}, r.stdout, r.stderr);
  return { code: r.code, output, seconds, ...summary(output) };
}

/** The dotenv report a job left, as GitLab reads it: `KEY=value` lines. */
export function dotenvOf(dir: string, job: string): Record<string, string> {
  const artifacts = join(dir, '.gitlab-ci-local', 'artifacts', job);
  if (!existsSync(artifacts)) throw new Error(`job ${job} left no artifacts in ${artifacts}`);
  const file = readdirSync(artifacts, { recursive: true, encoding: 'utf8' }).find((f) =>
    /^\.?kubeline-[\w-]+\.env$/.test(f.split('/').pop() ?? ''),
  );
  if (!file) throw new Error(`job ${job} left no kubeline dotenv report in ${artifacts}`);
  const values: Record<string, string> = {};
  for (const line of readFileSync(join(artifacts, file), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

/** Files under the job's artifacts (relative paths). */
export function artifactsOf(dir: string, job: string): string[] {
  const artifacts = join(dir, '.gitlab-ci-local', 'artifacts', job);
  return existsSync(artifacts) ? readdirSync(artifacts, { recursive: true, encoding: 'utf8' }) : [];
}
