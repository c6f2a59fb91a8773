// Everything that differs between Helm 3 and Helm 4 is decided here, as argv built from the major
// version of the binary kubeline installed: a flag renamed in Helm 4 is never passed to Helm 3.
import {
  KubelineError,
  ToolError,
  UserError,
  exec,
  type ExecOptions,
  type ExecResult,
} from '@kubeline/runtime';

export type HelmMajor = 3 | 4;

export function helmMajor(version: string): HelmMajor {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major === 3 || major === 4) return major;
  throw new UserError(`helm ${version} is not supported: kubeline drives Helm 3 and Helm 4`);
}

/** Where helm finds the cluster: the prepared kubeconfig, its context and the release namespace. */
export interface HelmTarget {
  kubeconfig: string;
  context: string;
  namespace: string;
}

export function targetArgs(t: HelmTarget): string[] {
  return ['--kubeconfig', t.kubeconfig, '--kube-context', t.context, '--namespace', t.namespace];
}

/** Helm reads Go durations; whole seconds, rounded up, so `1500ms` never becomes `1s`. */
export function goDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/** Helm 3 waits by polling (`--wait`); Helm 4 takes a strategy, and `watcher` is the one that waits for readiness. */
export function waitArgs(major: HelmMajor, wait: boolean): string[] {
  if (!wait) return [];
  return major === 3 ? ['--wait'] : ['--wait=watcher'];
}

export interface ChartArgs {
  /** What helm is given as the chart: a path, an `oci://` reference, a URL or a repository chart name. */
  chart: string;
  version?: string;
  repo?: string;
  username?: string;
  password?: string;
  /** A private repositories file (and its cache) holding a repository login `helm repo add` wrote. */
  repositoryConfig?: string;
  repositoryCache?: string;
  plainHttp?: boolean;
  /** A private registry config holding an OCI login. */
  registryConfig?: string;
}

export function chartArgs(c: ChartArgs): string[] {
  return [
    ...(c.version ? ['--version', c.version] : []),
    ...(c.repo ? ['--repo', c.repo] : []),
    ...(c.username ? ['--username', c.username] : []),
    ...(c.password ? ['--password', c.password] : []),
    ...(c.plainHttp ? ['--plain-http'] : []),
    ...(c.registryConfig ? ['--registry-config', c.registryConfig] : []),
    ...(c.repositoryConfig ? ['--repository-config', c.repositoryConfig] : []),
    ...(c.repositoryCache ? ['--repository-cache', c.repositoryCache] : []),
  ];
}

/** Logs in to a chart repository with the password on stdin, into a private repositories file. */
export function repoAddArgs(name: string, url: string, username: string, c: ChartArgs): string[] {
  return [
    'repo',
    'add',
    name,
    url,
    '--username',
    username,
    '--password-stdin',
    '--repository-config',
    c.repositoryConfig!,
    '--repository-cache',
    c.repositoryCache!,
  ];
}

export interface UpgradeOptions {
  release: string;
  chart: string;
  target: HelmTarget;
  /** `-f`/`--set*` arguments, in helm's order of precedence. */
  values: string[];
  wait: boolean;
  rollbackOnFailure: boolean;
  timeoutMs: number;
  force: boolean;
  serverSide: 'auto' | 'true' | 'false';
  dryRun: boolean;
  /** `--install` (the default): false upgrades only an existing release, and never installs CRDs. */
  install?: boolean;
  /** The arguments that make helm run kubeline's post-renderer (see post-renderer.ts). */
  postRenderer: string[];
  description?: string;
}

export interface HelmCommand {
  args: string[];
  /** Inputs this major cannot honour: said out loud, never dropped silently. */
  warnings: string[];
}

/** `helm upgrade [--install]`, with each behaviour spelled the way this major spells it. */
export function upgradeCommand(major: HelmMajor, o: UpgradeOptions): HelmCommand {
  const warnings: string[] = [];
  // Never --create-namespace: helm's create is refused to a namespace-scoped deployer even when the
  // namespace exists; kubeline creates a missing namespace itself.
  const install = o.install === false ? [] : ['--install'];
  const args = ['upgrade', ...install, o.release, o.chart, ...targetArgs(o.target)];
  args.push(...o.values);
  // Both majors wait when rolling back on failure; saying so keeps the argv explicit.
  const wait = o.wait || o.rollbackOnFailure;
  if (o.dryRun) {
    args.push('--dry-run=server');
  } else {
    if (o.rollbackOnFailure) args.push(major === 3 ? '--atomic' : '--rollback-on-failure');
    args.push(...waitArgs(major, wait));
  }
  args.push('--timeout', goDuration(o.timeoutMs));
  if (o.force) args.push(major === 3 ? '--force' : '--force-replace');
  if (major === 4) args.push(`--server-side=${o.serverSide}`);
  else if (o.serverSide === 'true')
    warnings.push('server-side: true is ignored: Helm 3 applies client-side only (use helm-version: 4)');
  if (o.description) args.push('--description', o.description);
  args.push(...o.postRenderer, '--output', 'json');
  return { args, warnings };
}

export function rollbackCommand(
  major: HelmMajor,
  release: string,
  revision: number,
  target: HelmTarget,
  o: { wait: boolean; timeoutMs: number },
): string[] {
  return [
    'rollback',
    release,
    String(revision),
    ...targetArgs(target),
    ...waitArgs(major, o.wait),
    '--timeout',
    goDuration(o.timeoutMs),
  ];
}

export type ReleaseStatus =
  | 'deployed'
  | 'superseded'
  | 'failed'
  | 'uninstalled'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback'
  | 'unknown';

/** One row of `helm history -o json` (the same shape in Helm 3 and 4). */
export interface HistoryEntry {
  revision: number;
  updated: string;
  status: ReleaseStatus;
  chart: string;
  app_version: string;
  description: string;
}

export const isPending = (s: ReleaseStatus) => s.startsWith('pending-');

/** The revision currently serving: the newest `deployed` one. */
export function deployedRevision(history: HistoryEntry[]): HistoryEntry | undefined {
  return [...history].reverse().find((h) => h.status === 'deployed');
}

/** The part of helm's stderr that says what went wrong: its last `Error:` line. */
export function helmErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const error = [...lines].reverse().find((l) => /^Error: /.test(l));
  return (error ?? lines[lines.length - 1] ?? '').replace(/^Error: /, '').trim();
}

/** The helm binary kubeline installed, run with argv only and its errors turned into one line. */
/** Commands that do not wait for the cluster (history, pull, lint, get) end well within this. */
export const HELM_COMMAND_TIMEOUT_MS = 5 * 60_000;

interface RunOptions {
  silent?: boolean;
  env?: NodeJS.ProcessEnv;
  allowFailure?: boolean;
  /** Default HELM_COMMAND_TIMEOUT_MS: a hung helm is a failed step naming the bound, never a hang. */
  timeoutMs?: number;
  /** Written to helm's stdin (a `--password-stdin`). */
  input?: string;
  /** Stops helm early (see exec): SIGTERM, which helm answers by failing the release cleanly. */
  signal?: AbortSignal;
  stopGraceMs?: ExecOptions['stopGraceMs'];
}

export class Helm {
  readonly major: HelmMajor;
  constructor(
    readonly path: string,
    readonly version: string,
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly secrets: string[] = [],
  ) {
    this.major = helmMajor(version);
  }

  run(args: string[], opts: RunOptions = {}): Promise<ExecResult> {
    return exec(this.path, args, {
      env: { ...this.env, ...opts.env },
      secrets: this.secrets,
      silent: opts.silent,
      allowFailure: opts.allowFailure,
      timeoutMs: opts.timeoutMs ?? HELM_COMMAND_TIMEOUT_MS,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.signal ? { signal: opts.signal, stopGraceMs: opts.stopGraceMs } : {}),
    });
  }

  /** Runs a command whose failure is the user's to fix: one line, helm's own `Error:` text. */
  async runOrExplain(what: string, args: string[], opts: Omit<RunOptions, 'allowFailure'> = {}) {
    try {
      return await this.run(args, opts);
    } catch (e) {
      if (e instanceof ToolError && e.code !== null)
        throw new KubelineError(`${what}: ${helmErrorLine(e.stderr)}`);
      throw e;
    }
  }

  /** The release's revisions, oldest first; empty when there is no such release. */
  async history(release: string, target: HelmTarget): Promise<HistoryEntry[]> {
    const r = await this.run(
      ['history', release, ...targetArgs(target), '--max', '256', '--output', 'json'],
      {
        silent: true,
        allowFailure: true,
      },
    );
    if (r.code !== 0) {
      if (/release: not found/.test(r.stderr)) return [];
      throw new KubelineError(`reading the history of release ${release}: ${helmErrorLine(r.stderr)}`);
    }
    return (JSON.parse(r.stdout || '[]') as HistoryEntry[]).sort((a, b) => a.revision - b.revision);
  }

  /** The manifest helm applied for a revision (the newest when none is given). */
  async manifest(release: string, target: HelmTarget, revision?: number): Promise<string> {
    const rev = revision === undefined ? [] : ['--revision', String(revision)];
    const r = await this.runOrExplain(
      `reading the manifest of release ${release}`,
      ['get', 'manifest', release, ...targetArgs(target), ...rev],
      { silent: true },
    );
    return r.stdout;
  }
}
