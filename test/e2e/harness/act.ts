// Running the GitHub example workflows as a user's self-hosted runner would, with nektos/act on this
// host (`-P ubuntu-latest=-self-hosted`): a scratch "user repository" holding the workflow, kubeline's
// actions resolved from this checkout (act's --local-repository, at the ref the workflow names), the
// pinned third-party actions from harness/github-actions, secrets from a 0600 file, and nothing but
// loopback reachable (a dead proxy for everything else, act's version check off).
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { actBinary } from '../../stack/act.js';
import { repoRoot } from '../../stack/paths.js';
import { NODE, runProcess } from '../../support/processes.js';
import { recordRun } from '../../support/secret-audit.js';
import { scratchDir } from './scratch.js';
import { commitChange, git, writeUserApp } from './user-app.js';
import { loadStackEnv } from './stack-env.js';

const KUBELINE = 'kubeline/kubeline';
const STAND_INS = join(repoRoot, 'test', 'e2e', 'harness', 'github-actions');
/** The pinned third-party actions of the examples → their stand-ins (README.md there says why). */
const thirdParty: Record<string, string> = {
  'actions/upload-artifact': join(STAND_INS, 'upload-artifact'),
  'actions/download-artifact': join(STAND_INS, 'download-artifact'),
  'github/codeql-action': join(STAND_INS, 'codeql-action'),
};

export interface ActRun {
  code: number;
  output: string;
  /** act's action cache: workspaces, job temp dirs and the tool cache the jobs left behind. */
  leftBehind: string;
  seconds: number;
  /** Each job's step outputs (`::set-output::` lines), by job id. */
  outputs: Record<string, Record<string, string>>;
  /** Jobs that act reports as succeeded. */
  succeeded: string[];
}

export interface RunOptions {
  event: 'push' | 'workflow_dispatch';
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Environment of the runner machine (its tool mirror, say), as act's --env. */
  env?: Record<string, string>;
}

/** What a release tag of kubeline holds for its actions: action.yml and the bundle, per action. */
export function actionsRelease(): string {
  const dir = scratchDir('kubeline-release');
  for (const action of [
    'build-image',
    'trivy-scan',
    'cosign-sign',
    'helm-deploy',
    'rollback',
    'canary-promote',
    'gitops-promote',
  ]) {
    mkdirSync(join(dir, 'actions', action), { recursive: true });
    copyFileSync(join(repoRoot, 'actions', action, 'action.yml'), join(dir, 'actions', action, 'action.yml'));
    cpSync(join(repoRoot, 'actions', action, 'dist'), join(dir, 'actions', action, 'dist'), {
      recursive: true,
    });
  }
  return dir;
}

/**
 * A user's repository: the example workflow beside the application (harness/user-app.ts). Its
 * origin names github.com/acme/<name>, which act reads for github.repository.
 */
export async function userRepository(name: string, workflows: string[]): Promise<string> {
  const dir = scratchDir(`repo-${name}`);
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  for (const w of workflows)
    copyFileSync(join(repoRoot, 'workflows-examples', 'github', w), join(dir, '.github', 'workflows', w));
  writeUserApp(dir);
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['remote', 'add', 'origin', `https://github.com/acme/${name}.git`]);
  await commitChange(dir, 'initial');
  return dir;
}

/** act's dotenv: a double-quoted value with escapes, so PEM text and kubeconfigs fit on one line. */
function dotenv(values: Record<string, string>): string {
  const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  return Object.entries(values)
    .map(([k, v]) => `${k}=${quote(v)}\n`)
    .join('');
}

/** `uses: owner/repo[/path]@ref` of the workflow → act's --local-repository `owner/repo@ref=dir`. */
export function localRepositories(workflow: string, release: string): string[] {
  const refs = new Set<string>();
  for (const m of workflow.matchAll(/^\s*(?:-\s+)?uses:\s*([\w.-]+\/[\w.-]+)(?:\/[^@\s]*)?@([^\s#]+)/gm))
    refs.add(`${m[1]}@${m[2]}`);
  return [...refs].flatMap((ref) => {
    const repo = ref.slice(0, ref.indexOf('@'));
    if (repo === 'actions/checkout') return []; // act copies the workspace instead
    const dir = repo === KUBELINE ? release : thirdParty[repo];
    if (!dir) throw new Error(`no local copy for ${ref}: act would fetch it from github.com`);
    return ['--local-repository', `${ref}=${dir}`];
  });
}

/** Files under `dir` (up to 4 MiB each, tools skipped) that contain any of `secrets`. */
export function filesContaining(dir: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (statSync(file).size > 4 * 1024 * 1024) continue;
    const text = readFileSync(file, 'latin1');
    if (secrets.some((s) => text.includes(s))) found.push(file);
  }
  return found;
}

/** Parses act's log: `[<workflow>/<job>]   ⚙  ::set-output:: key=value` and `🏁  Job succeeded`. */
function parseLog(output: string, workflowName: string) {
  const outputs: Record<string, Record<string, string>> = {};
  const succeeded: string[] = [];
  const prefix = `[${workflowName}/`;
  for (const line of output.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const job = line.slice(prefix.length, line.indexOf(']')).trim();
    const set = /::set-output:: ([\w-]+)=(.*)$/.exec(line);
    if (set?.[1] !== undefined) (outputs[job] ??= {})[set[1]] = set[2] ?? '';
    if (line.includes('🏁  Job succeeded')) succeeded.push(job);
  }
  return { outputs, succeeded };
}

/** Runs one workflow of `repo` with act; never throws on a failed workflow (see `code`). */
export async function runWorkflow(
  repo: string,
  file: string,
  release: string,
  o: RunOptions,
): Promise<ActRun> {
  const act = await actBinary();
  const stack = loadStackEnv();
  const work = scratchDir(`act-${file.replace(/\.yml$/, '')}`);
  const secretFile = join(work, 'secrets');
  writeFileSync(secretFile, dotenv(o.secrets ?? {}), { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  const varFile = join(work, 'vars');
  writeFileSync(varFile, dotenv(o.vars ?? {}));
  // the runner's PATH: Node 24 (the actions' runtime) before the machine's tools
  const bin = join(work, 'bin');
  mkdirSync(bin);
  mkdirSync(join(work, 'home'));
  symlinkSync(NODE, join(bin, 'node'));
  const workflowPath = join(repo, '.github', 'workflows', file);
  const workflow = readFileSync(workflowPath, 'utf8');
  const name = /^name:\s*(.+)$/m.exec(workflow)?.[1]?.trim() ?? file;
  const env = { ...o.env };
  const args = [
    o.event,
    '--workflows',
    workflowPath,
    '--platform',
    'ubuntu-latest=-self-hosted',
    '--action-cache-path',
    join(work, 'cache'),
    '--no-cache-server',
    '--secret-file',
    secretFile,
    '--var-file',
    varFile,
    ...Object.entries(o.inputs ?? {}).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...localRepositories(workflow, release),
  ];
  const started = Date.now();
  const r = await runProcess(
    act,
    args,
    {
      HOME: join(work, 'home'),
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
      DOCKER_HOST: stack.DOCKER_HOST,
      ACT_DISABLE_VERSION_CHECK: '1',
      // Nothing but loopback answers: act and every tool it starts go through a dead proxy.
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    },
    repo,
  );
  const seconds = (Date.now() - started) / 1000;
  const output = `${r.stdout}\n${r.stderr}`;
  recordRun(`act ${file}`, {}, r.stdout, r.stderr);
  return { code: r.code, output, leftBehind: join(work, 'cache'), seconds, ...parseLog(output, name) };
}
