// What the helm-deploy and rollback e2e tests share: running the committed bundles as the CLI would
// (INPUT_* variables, outputs as JSON on stdout), the stack's own helm for independent checks, and
// assertions on the one-line error contract.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../stack/paths.js';
import { NODE, runProcess, type Ran } from '../support/processes.js';
import { adminKubeConfig } from './harness/kube.js';
import { loadStackEnv, stackTool } from './harness/stack-env.js';
import { run } from './harness/tools.js';

export const MAJORS = [3, 4] as const;
export type Major = (typeof MAJORS)[number];
export const env = loadStackEnv();
export const WEB_CHART = join(repoRoot, 'test/fixtures/charts/web');
export const WEB_TAG_CHART = join(repoRoot, 'test/fixtures/charts/web-tag');
export const unique = () => randomBytes(3).toString('hex');
export const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
export const fakeDigest = () => `sha256:${randomBytes(32).toString('hex')}`;

export interface ActionRun extends Ran {
  outputs: Record<string, string>;
  summary: string;
  temp: string;
}

/** Runs actions/<action>/dist/index.js with INPUT_* from `inputs` (CLI platform unless `extra` says otherwise). */
export async function runAction(
  action: 'helm-deploy' | 'rollback' | 'canary-promote' | 'gitops-promote',
  inputs: Record<string, string>,
  extra: NodeJS.ProcessEnv = {},
  cwd = repoRoot,
): Promise<ActionRun> {
  const temp = tmp(`kubeline-${action}-run-`);
  const given: NodeJS.ProcessEnv = {
    RUNNER_TEMP: temp,
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
    KUBELINE_PLATFORM: 'cli',
    // cosign (require-signature) must never reach out to Sigstore: nothing but loopback answers.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    ...extra,
  };
  for (const [k, v] of Object.entries(inputs)) given[`INPUT_${k.toUpperCase()}`] = v;
  const r = await runProcess(NODE, [join(repoRoot, 'actions', action, 'dist', 'index.js')], given, cwd);
  const summaryFile = join(temp, `kubeline-${action}-summary.md`);
  let outputs: Record<string, string> = {};
  try {
    outputs = JSON.parse(r.stdout) as Record<string, string>;
  } catch {
    // not the CLI platform, or no JSON: the caller asserts on code and stderr
  }
  return { ...r, outputs, summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '', temp };
}

export const deploy = (
  major: Major,
  inputs: Record<string, string>,
  extra: NodeJS.ProcessEnv = {},
  cwd?: string,
) =>
  runAction(
    'helm-deploy',
    { 'helm-version': String(major), kubeconfig: env.KUBECONFIG, ...inputs },
    extra,
    cwd,
  );

export const rollback = (major: Major, inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}) =>
  runAction('rollback', { 'helm-version': String(major), kubeconfig: env.KUBECONFIG, ...inputs }, extra);

export const errorLines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));

export function succeeded(r: ActionRun): void {
  if (r.code !== 0) throw new Error(`exited ${r.code}:\n${r.stderr}`);
  expect(errorLines(r)).toEqual([]);
}

/** Exit 1 with exactly one error line and no stack; returns the line for exact assertions. */
export function failedOneLine(r: ActionRun): string {
  if (r.code !== 1) throw new Error(`expected exit 1, got ${r.code}:\n${r.stderr}`);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const errors = errorLines(r);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

/** No kubeconfig, values or work dir of the run is left in its temp dir. */
export function nothingLeft(temp: string): void {
  expect(readdirSync(temp).filter((f) => /^kubeline-(kubeconfig-|helm-deploy-\w{6}$)/.test(f))).toEqual([]);
}

export interface HistoryRow {
  revision: number;
  status: string;
  description: string;
}

/** The release history as the stack's own helm (not the action's) sees it. */
export async function history(major: Major, release: string, namespace: string): Promise<HistoryRow[]> {
  const helm = stackTool(major === 3 ? 'helm3' : 'helm4');
  try {
    const r = await run([
      helm,
      'history',
      release,
      '-n',
      namespace,
      '-o',
      'json',
      '--kubeconfig',
      env.KUBECONFIG,
    ]);
    return JSON.parse(r.stdout) as HistoryRow[];
  } catch (e) {
    if (/release: not found/.test(String((e as Error).message))) return [];
    throw e;
  }
}

export async function helmCli(major: Major, args: string[]): Promise<string> {
  const helm = stackTool(major === 3 ? 'helm3' : 'helm4');
  return (await run([helm, ...args, '--kubeconfig', env.KUBECONFIG])).stdout;
}

export function readDeployment(namespace: string, name: string): Promise<V1Deployment> {
  return adminKubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
}

export function readConfigMapData(namespace: string, name: string): Promise<Record<string, string>> {
  return adminKubeConfig()
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap({ name, namespace })
    .then((cm) => cm.data ?? {});
}

export function contractOf(name: string, digest: string, tags: string[] = []): string {
  return JSON.stringify({
    name,
    digest,
    ref: `${name}@${digest}`,
    tags,
    platforms: [],
    pushed: true,
    labels: {},
  });
}

export const image = (d: V1Deployment) => d.spec?.template.spec?.containers[0]?.image;
