import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { InputError, UserError, addSecret, runnerTemp, yamlErrorLine } from '@kubeline/runtime';

/** The parts of a kubeconfig kubeline reads; everything else is kept as it is. */
export interface KubeconfigDoc {
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
  [key: string]: unknown;
}

export interface KubeconfigRequest {
  /** YAML/JSON content or a path. Empty: KUBECONFIG, then ~/.kube/config, like kubectl. */
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PreparedKubeconfig {
  /** The file to hand to client-node, helm and kubectl. */
  path: string;
  /** The selected context: pass it on (`--kube-context`), since a user's own file is never edited. */
  context: string;
  namespace: string;
  server: string;
  /** The kubeconfig's user entry (not the identity the API server sees). */
  user: string;
  source: 'content' | 'file' | 'KUBECONFIG' | 'home';
  /** Removes the file kubeline wrote; a no-op for the user's own files. Safe to call twice. */
  cleanup(): void;
}

/** Content, not a path: a path never holds these keys (or JSON's opening brace). */
export function isKubeconfigContent(value: string): boolean {
  return value.trimStart().startsWith('{') || /(^|\n)\s*["']?(apiVersion|clusters)["']?\s*:/.test(value);
}

/** Parses kubeconfig text; a syntax error names `origin` and the line, never the line's text. */
export function parseKubeconfig(text: string, origin: string): KubeconfigDoc {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) throw new UserError(`${origin}: invalid YAML${yamlErrorLine(err, text)}`);
  const value: unknown = doc.toJS();
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new UserError(`${origin}: not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  const config = value as KubeconfigDoc;
  for (const key of ['clusters', 'users', 'contexts'] as const)
    if (config[key] !== undefined && config[key] !== null && !Array.isArray(config[key]))
      throw new UserError(`${origin}: "${key}" must be a list`);
  if (!config.clusters?.length || !config.contexts?.length)
    throw new UserError(`${origin}: not a kubeconfig (it has no clusters or no contexts)`);
  return config;
}

// Keys whose string values are credentials; `tokenFile` and other file paths are not.
const SECRET_KEY = /token|secret|password|key-data/i;
const isSecretKey = (key: string) => SECRET_KEY.test(key) && !/file$/i.test(key);

/** Every credential in a kubeconfig: tokens, client keys, passwords, auth-provider and exec secrets. */
export function kubeconfigSecrets(config: KubeconfigDoc): string[] {
  const found: string[] = [];
  const visit = (value: unknown, key: string) => {
    if (typeof value === 'string') {
      if (isSecretKey(key)) found.push(value);
    } else if (Array.isArray(value)) {
      for (const v of value) visit(v, key);
    } else if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      // exec plugins pass credentials as env entries: { name: API_TOKEN, value: ... }
      if (typeof o.name === 'string' && typeof o.value === 'string' && isSecretKey(o.name))
        found.push(o.value);
      for (const [k, v] of Object.entries(o)) visit(v, k);
    }
  };
  for (const u of config.users ?? []) visit(u.user, '');
  return found;
}

export interface SelectedContext {
  context: string;
  cluster: string;
  server: string;
  user: string;
  namespace: string;
}

/** Picks the context to use; errors name the `context` input and the contexts that exist. */
export function selectContext(config: KubeconfigDoc, context?: string, namespace?: string): SelectedContext {
  const names = (config.contexts ?? []).map((c) => c.name);
  const available = `available contexts: ${names.join(', ') || '(none)'}`;
  const name = context || config['current-context'];
  if (!name)
    throw new UserError(`input "context" is required: the kubeconfig has no current-context; ${available}`);
  const ctx = config.contexts?.find((c) => c.name === name);
  if (!ctx) {
    if (context) throw new InputError('context', context, available);
    throw new UserError(`the kubeconfig's current-context "${name}" is not defined; ${available}`);
  }
  const clusterName = ctx.context?.cluster ?? '';
  const cluster = config.clusters?.find((c) => c.name === clusterName);
  if (!cluster)
    throw new UserError(
      `kubeconfig context "${name}" refers to cluster "${clusterName}", which is not defined`,
    );
  const server = cluster.cluster?.server;
  if (typeof server !== 'string' || !server)
    throw new UserError(`kubeconfig cluster "${clusterName}" has no server address`);
  const user = ctx.context?.user ?? '';
  if (user && !config.users?.some((u) => u.name === user))
    throw new UserError(`kubeconfig context "${name}" refers to user "${user}", which is not defined`);
  return {
    context: name,
    cluster: clusterName,
    server,
    user,
    namespace: namespace || ctx.context?.namespace || 'default',
  };
}

const FILE_KEYS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

/** kubectl reads relative file references against the kubeconfig's own folder; we keep that meaning. */
function resolveFileReferences(config: KubeconfigDoc, baseDir: string): void {
  const entries = [
    ...(config.clusters ?? []).map((c) => c.cluster),
    ...(config.users ?? []).map((u) => u.user),
  ];
  for (const entry of entries) {
    for (const key of FILE_KEYS) {
      const v = entry?.[key];
      if (typeof v === 'string' && v && !path.isAbsolute(v)) entry![key] = path.resolve(baseDir, v);
    }
  }
}

/** kubectl's merge of a KUBECONFIG list: the first file to define a name (or current-context) wins. */
export function mergeKubeconfigs(configs: KubeconfigDoc[]): KubeconfigDoc {
  const merged: KubeconfigDoc = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const c of configs) {
    merged['current-context'] ||= c['current-context'];
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const into = merged[key] as { name: string }[];
      for (const item of (c[key] ?? []) as { name: string }[])
        if (!into.some((x) => x.name === item.name)) into.push(item);
    }
  }
  return merged;
}

function writePrivate(config: KubeconfigDoc, env: NodeJS.ProcessEnv): string {
  const dir = runnerTemp(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `kubeline-kubeconfig-${crypto.randomBytes(8).toString('hex')}.yaml`);
  // 'wx': never follow or overwrite something already at that name.
  fs.writeFileSync(file, stringify(config), { mode: 0o600, flag: 'wx' });
  return file;
}

function readFile(file: string, origin: string): KubeconfigDoc {
  let text: string;
  try {
    // A FIFO or a device would block the read forever: only regular files are read.
    if (!fs.statSync(file).isFile()) throw new UserError(`${origin}: ${file} is not a regular file`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `${origin}: cannot read ${file}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`,
    );
  }
  return parseKubeconfig(text, `${origin} (${file})`);
}

/** Kubeconfig content pasted base64-encoded (as many CI secrets hold it); undefined otherwise. */
function decodeBase64Kubeconfig(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (compact.length < 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const text = Buffer.from(compact, 'base64').toString('utf8');
  return isKubeconfigContent(text) ? text : undefined;
}

/**
 * A value that cannot be a file path — multi-line, huge, or an opaque token-like string naming no
 * file (a pasted secret of some other shape) — is masked and never echoed back.
 */
function checkPathShape(value: string, resolved: string): void {
  const opaque = /^[A-Za-z0-9+/=_-]{32,}$/.test(value) && !value.includes('.') && !fs.existsSync(resolved);
  if (/[\n\r\0]/.test(value) || value.length > 4096 || opaque) {
    addSecret(value);
    throw new UserError(
      'input "kubeconfig": not kubeconfig YAML, base64-encoded kubeconfig, or the path of a file (value not shown)',
    );
  }
}

/** Where kubectl would look when no kubeconfig is given. */
function defaultFiles(env: NodeJS.ProcessEnv): { files: string[]; source: 'KUBECONFIG' | 'home' } {
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f && fs.existsSync(f));
    if (files.length) return { files, source: 'KUBECONFIG' };
    throw new UserError(`KUBECONFIG names no existing file: ${env.KUBECONFIG}`);
  }
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return { files: [home], source: 'home' };
  throw new UserError(
    'no kubeconfig: give the "kubeconfig" input (content or path), set KUBECONFIG, or create ~/.kube/config',
  );
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  return p === '~' || p.startsWith('~/') ? path.join(env.HOME || os.homedir(), p.slice(1)) : p;
}

/**
 * Makes a kubeconfig ready to use: content is written 0600 to the runner temp dir (and must be
 * removed with `cleanup()`, in a post step when the job may be cancelled); a path is used in place.
 * Every credential in it is masked before anything can print it.
 */
export function prepareKubeconfig(req: KubeconfigRequest = {}): PreparedKubeconfig {
  const env = req.env ?? process.env;
  const given = req.kubeconfig?.trim() ? req.kubeconfig : undefined;
  let config: KubeconfigDoc;
  let file: string | undefined;
  let source: PreparedKubeconfig['source'];
  const decoded = given && !isKubeconfigContent(given) ? decodeBase64Kubeconfig(given) : undefined;
  if (decoded) addSecret(given!.trim());
  if (given && (decoded || isKubeconfigContent(given))) {
    config = parseKubeconfig(
      decoded ?? given,
      decoded ? 'input "kubeconfig" (base64)' : 'input "kubeconfig"',
    );
    resolveFileReferences(config, process.cwd());
    source = 'content';
  } else if (given) {
    file = path.resolve(expandHome(given.trim(), env));
    checkPathShape(given.trim(), file);
    config = readFile(file, 'input "kubeconfig"');
    source = 'file';
  } else {
    const found = defaultFiles(env);
    const configs = found.files.map((f) => {
      const c = readFile(f, found.source === 'KUBECONFIG' ? 'KUBECONFIG' : 'kubeconfig');
      resolveFileReferences(c, path.dirname(f));
      return c;
    });
    config = configs.length === 1 ? configs[0]! : mergeKubeconfigs(configs);
    if (configs.length === 1) file = found.files[0];
    source = found.source;
  }
  for (const s of kubeconfigSecrets(config)) addSecret(s);
  const selected = selectContext(config, req.context, req.namespace);

  let written: string | undefined;
  if (!file) {
    config['current-context'] = selected.context;
    written = writePrivate(config, env);
  }
  return {
    path: written ?? file!,
    context: selected.context,
    namespace: selected.namespace,
    server: selected.server,
    user: selected.user,
    source,
    cleanup: () => {
      if (written) fs.rmSync(written, { force: true });
    },
  };
}

/** For a post step in another process: removes a kubeconfig only if kubeline wrote it. */
export function removeWrittenKubeconfig(file: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const ours =
    path.dirname(path.resolve(file)) === path.resolve(runnerTemp(env)) &&
    /^kubeline-kubeconfig-[0-9a-f]{16}\.yaml$/.test(path.basename(file));
  if (ours) fs.rmSync(file, { force: true });
  return ours;
}
