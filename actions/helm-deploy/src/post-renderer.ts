// kubeline's Helm post-renderer: the action's own bundle, run by helm between rendering and
// applying. It annotates every resource with the release metadata, lists the resources and refuses
// (nothing is applied) when the rendered manifests do not pull the pinned digest. Helm 3 runs an
// executable (`--post-renderer <path>`); Helm 4 runs a `postrenderer/v1` plugin by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMap, parseAllDocuments, stringify, type Document } from 'yaml';
import type { ImageContract } from '@kubeline/image';
import type { HelmMajor } from '@kubeline/helm';
import { checkPinned } from '@kubeline/image';
import { awaitGo } from './apply-gate.js';
import { POST_RENDER_ENV } from './post-render-env.js';

const PLUGIN_NAME = 'kubeline-post-render';

export interface PostRenderConfig {
  annotations: Record<string, string>;
  image?: ImageContract;
  /** Where the post-renderer writes its RenderReport. */
  report: string;
  /** Namespace of resources that name none. */
  namespace: string;
  /** The apply gate to wait at before handing the manifests back (helm started ahead of the lock). */
  gate?: string;
}

export interface RenderedResource {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface RenderReport {
  resources: RenderedResource[];
  containers: Array<{ where: string; image: string }>;
  /** One line when the manifests were refused. */
  error?: string;
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Containers anywhere in an object: pods, pod templates, CronJob job templates, custom resources. */
function findContainers(node: unknown, where: string, out: RenderReport['containers']): void {
  if (Array.isArray(node)) {
    for (const n of node) findContainers(n, where, out);
    return;
  }
  if (!isObj(node)) return;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = node[key];
    if (!Array.isArray(list)) continue;
    for (const c of list)
      if (isObj(c) && typeof c.image === 'string')
        out.push({ where: `${where} container ${String(c.name ?? '?')}`, image: c.image });
  }
  for (const [key, value] of Object.entries(node))
    if (!['initContainers', 'containers', 'ephemeralContainers'].includes(key))
      findContainers(value, where, out);
}

function annotate(doc: Document, annotations: Record<string, string>, itemPath: (string | number)[]): void {
  const at = [...itemPath, 'metadata', 'annotations'];
  // `annotations:` with nothing after it is null: it becomes a map.
  if (doc.hasIn(at) && !isMap(doc.getIn(at, true))) doc.setIn(at, doc.createNode({}));
  for (const [k, v] of Object.entries(annotations)) doc.setIn([...at, k], v);
}

/** The post-renderer itself, as a pure function of helm's rendered text. */
export function postRender(
  text: string,
  config: Omit<PostRenderConfig, 'report'>,
): { output: string; report: RenderReport } {
  const report: RenderReport = { resources: [], containers: [] };
  const parts: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) {
      report.error = `the rendered manifests are not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`;
      return { output: text, report };
    }
    const value: unknown = (doc as Document).toJS();
    if (!isObj(value) || typeof value.kind !== 'string') {
      if (value !== null && value !== undefined) parts.push(doc.toString({ lineWidth: 0 }));
      continue;
    }
    const items = value.kind.endsWith('List') && Array.isArray(value.items) ? value.items : undefined;
    const objects: Array<{ obj: unknown; at: (string | number)[] }> = items
      ? items.map((obj, i) => ({ obj, at: ['items', i] }))
      : [{ obj: value, at: [] }];
    for (const { obj, at } of objects) {
      if (!isObj(obj) || !isObj(obj.metadata)) continue;
      const kind = String(obj.kind);
      const name = String(obj.metadata.name ?? '');
      const namespace = CLUSTER_SCOPED.has(kind)
        ? undefined
        : typeof obj.metadata.namespace === 'string'
          ? obj.metadata.namespace
          : config.namespace;
      report.resources.push({
        apiVersion: String(obj.apiVersion ?? ''),
        kind,
        name,
        ...(namespace ? { namespace } : {}),
      });
      findContainers(obj, `${kind}/${name}`, report.containers);
      if (Object.keys(config.annotations).length) annotate(doc as Document, config.annotations, at);
    }
    // lineWidth 0: a long image reference stays on one line, as helm rendered it.
    parts.push(doc.toString({ lineWidth: 0 }).replace(/^---\s*\n/, ''));
  }
  if (config.image) {
    const check = checkPinned(report.containers, config.image);
    if (!check.ok) report.error = check.problem;
  }
  return { output: parts.map((p) => `---\n${p}`).join(''), report };
}

/** Entry point when helm runs the bundle as its post-renderer: stdin → stdout, report to a file. */
export async function runAsPostRenderer(configFile: string): Promise<void> {
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as PostRenderConfig;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { output, report } = postRender(Buffer.concat(chunks).toString('utf8'), config);
  if (config.gate && !report.error && !(await awaitGo(config.gate))) {
    process.stderr.write('kubeline: the deploy did not go ahead; nothing was applied\n');
    process.exitCode = 1;
    return;
  }
  fs.writeFileSync(config.report, JSON.stringify(report));
  if (report.error) {
    // Helm 3 shows this; Helm 4 does not, so the action reads the report instead.
    process.stderr.write(`kubeline: ${report.error}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(output);
}

export interface PostRendererSetup {
  args: string[];
  env: Record<string, string>;
  config: PostRenderConfig;
}

/** Helm's default plugin folder, kept searchable so the user's own plugins (getters) still work. */
function defaultPluginDirs(env: NodeJS.ProcessEnv): string {
  if (env.HELM_PLUGINS) return env.HELM_PLUGINS;
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'helm', 'plugins');
}

/**
 * Makes helm of this major run `bundle` with `node` as its post-renderer. Each helm run has its own
 * `name`, so a run stopped before applying leaves no report for the next.
 */
export function setupPostRenderer(
  major: HelmMajor,
  workDir: string,
  bundle: string,
  config: Omit<PostRenderConfig, 'report'>,
  env: NodeJS.ProcessEnv = process.env,
  name = 'upgrade',
): PostRendererSetup {
  const full: PostRenderConfig = { ...config, report: path.join(workDir, `render-report-${name}.json`) };
  const configFile = path.join(workDir, `post-render-${name}.json`);
  fs.writeFileSync(configFile, JSON.stringify(full), { mode: 0o600 });
  const childEnv: Record<string, string> = { [POST_RENDER_ENV]: configFile };
  if (major === 3)
    return {
      args: ['--post-renderer', process.execPath, '--post-renderer-args', bundle],
      env: childEnv,
      config: full,
    };
  const pluginDir = path.join(workDir, 'helm-plugins', PLUGIN_NAME);
  fs.mkdirSync(pluginDir, { recursive: true });
  fs.writeFileSync(
    path.join(pluginDir, 'plugin.yaml'),
    stringify({
      apiVersion: 'v1',
      type: 'postrenderer/v1',
      name: PLUGIN_NAME,
      version: '1.0.0',
      runtime: 'subprocess',
      runtimeConfig: { platformCommand: [{ command: process.execPath, args: [bundle] }] },
    }),
  );
  childEnv.HELM_PLUGINS = [path.dirname(pluginDir), defaultPluginDirs(env)].join(path.delimiter);
  return { args: ['--post-renderer', PLUGIN_NAME], env: childEnv, config: full };
}

/** The report the post-renderer wrote, if it ran. */
export function readRenderReport(file: string): RenderReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RenderReport;
  } catch {
    return undefined;
  }
}

/** Resolves with the report once the post-renderer has written it; undefined if helm ends first. */
export async function renderReportOf(file: string, signal: AbortSignal): Promise<RenderReport | undefined> {
  while (!signal.aborted) {
    const report = readRenderReport(file);
    if (report) return report;
    await sleep(50, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
