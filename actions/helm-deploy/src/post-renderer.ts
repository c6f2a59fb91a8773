// kubeline's Helm post-rendering, between helm's render and its apply: every resource annotated with
// the release metadata, the resources listed, and the manifests refused (nothing is applied) when
// they do not pull the pinned digest. It runs in the action (render-gate.ts); what helm runs is the
// action's own bundle as a relay to it (render-relay.ts). Helm 3 runs an executable
// (`--post-renderer <path>`); Helm 4 runs a `postrenderer/v1` plugin by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, parseAllDocuments, type Document } from 'yaml';
import type { ImageContract } from '@kubeline/image';
import type { HelmMajor } from '@kubeline/helm';
import { checkPinned } from '@kubeline/image';
import { RENDER_RELAY_ENV } from './render-relay-env.js';

const PLUGIN_NAME = 'kubeline-post-render';

export interface PostRenderConfig {
  annotations: Record<string, string>;
  image?: ImageContract;
  /** Namespace of resources that name none. */
  namespace: string;
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

export interface PostRendered {
  output: string;
  report: RenderReport;
}

/** The post-renderer itself, as a pure function of helm's rendered text. */
export function postRender(text: string, config: PostRenderConfig): PostRendered {
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

export interface PostRendererSetup {
  args: string[];
  env: Record<string, string>;
}

/** Helm's default plugin folder, kept searchable so the user's own plugins (getters) still work. */
function defaultPluginDirs(env: NodeJS.ProcessEnv): string {
  if (env.HELM_PLUGINS) return env.HELM_PLUGINS;
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'helm', 'plugins');
}

/**
 * Makes helm of this major run `bundle` with `node` as its post-renderer: the relay that hands the
 * manifests to the action's gate at `socket` (render-gate.ts). Each helm run has its own gate.
 */
export function setupPostRenderer(
  major: HelmMajor,
  workDir: string,
  bundle: string,
  socket: string,
  env: NodeJS.ProcessEnv = process.env,
): PostRendererSetup {
  const childEnv: Record<string, string> = { [RENDER_RELAY_ENV]: socket };
  if (major === 3)
    return { args: ['--post-renderer', process.execPath, '--post-renderer-args', bundle], env: childEnv };
  // The same plugin for every run of this action: only the environment names the gate.
  const pluginDir = path.join(workDir, 'helm-plugins', PLUGIN_NAME);
  fs.mkdirSync(pluginDir, { recursive: true });
  // JSON is YAML, and needs no YAML library before helm starts.
  fs.writeFileSync(
    path.join(pluginDir, 'plugin.yaml'),
    JSON.stringify({
      apiVersion: 'v1',
      type: 'postrenderer/v1',
      name: PLUGIN_NAME,
      version: '1.0.0',
      runtime: 'subprocess',
      runtimeConfig: { platformCommand: [{ command: process.execPath, args: [bundle] }] },
    }),
  );
  childEnv.HELM_PLUGINS = [path.dirname(pluginDir), defaultPluginDirs(env)].join(path.delimiter);
  return { args: ['--post-renderer', PLUGIN_NAME], env: childEnv };
}
