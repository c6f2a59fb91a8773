// Which buildx builder a build runs on: a remote buildkitd (`buildkit-host`), a builder the user named
// (`buildx-builder`, e.g. docker/setup-buildx-action's), or the user's current one; a `docker` driver
// that cannot do what the build asks is replaced by a docker-container builder kubeline makes and
// removes again (post step, or at once when the job is cancelled).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  InputError,
  KubelineError,
  ToolError,
  UserError,
  exec,
  log,
  onCancel,
  type StepState,
} from '@kubeline/runtime';
import { LOCAL_CALL_TIMEOUT_MS } from './builder.js';

/** Where the builder comes from, before buildx is asked anything. */
export type BuilderSource =
  { kind: 'remote'; endpoint: string } | { kind: 'named'; name: string } | { kind: 'current' };

/** What `buildx inspect` says about a builder. */
export interface BuilderInfo {
  name: string;
  driver: string;
}

/** The decision for the current builder: use it, or make a docker-container one. */
export type CurrentBuilderChoice = { action: 'use'; why: string } | { action: 'create'; why: string };

/** The builder a build runs on, and the log line that says why. */
export interface ChosenBuilder {
  name: string;
  driver: string;
  why: string;
  /** Environment for every buildx call on it: kubeline's own BUILDX_CONFIG, or the user's. */
  env: Record<string, string>;
  /** Said once before the build: the builder named will likely not do what the build asks. */
  warning?: string;
}

/** The state key the post step reads to remove a builder kubeline created. */
export const CREATED_BUILDER_STATE = 'buildx-created-builder';

/** What the post step needs to remove the builder: its name, its BUILDX_CONFIG and the buildx binary. */
interface CreatedBuilder {
  name: string;
  buildxConfig: string;
  bin: string;
}

/** `buildkit-host` wins over the BUILDKIT_HOST variable; naming both a host and a builder is a mistake. */
export function builderSource(opts: {
  buildkitHostInput: string;
  buildkitHostEnv: string;
  builderInput: string;
}): BuilderSource {
  if (opts.builderInput && opts.buildkitHostInput)
    throw new UserError(
      `inputs "buildkit-host" and "buildx-builder" cannot both be set: buildkit-host makes kubeline's own remote builder, buildx-builder names an existing one`,
    );
  if (opts.builderInput) return { kind: 'named', name: opts.builderInput };
  const endpoint = opts.buildkitHostInput || opts.buildkitHostEnv;
  return endpoint ? { kind: 'remote', endpoint } : { kind: 'current' };
}

/**
 * What the `docker` driver cannot do for this build, or undefined. Without the containerd image store
 * it builds one platform and exports only inline cache.
 */
export function dockerDriverShortfall(req: { platforms: string[]; cacheTo: string[] }): string | undefined {
  if (req.platforms.length > 1) return `several platforms (${req.platforms.join(', ')})`;
  const types = req.cacheTo.map(cacheType).filter((t) => t !== 'inline');
  if (types.length) return `cache-to type=${types[0]}`;
  return undefined;
}

/** The cache exporter's type; a bare reference means a registry cache. */
export function cacheType(spec: string): string {
  if (!spec.includes('=')) return 'registry';
  return /(?:^|,)type=([^,]+)/.exec(spec)?.[1] ?? 'registry';
}

export function chooseForCurrent(current: BuilderInfo, shortfall: string | undefined): CurrentBuilderChoice {
  if (current.driver !== 'docker')
    return { action: 'use', why: `the current builder (driver ${current.driver})` };
  if (!shortfall)
    return { action: 'use', why: 'the current builder (docker driver; the build needs no more)' };
  return {
    action: 'create',
    why: `the current builder "${current.name}" uses the docker driver, which cannot build ${shortfall}`,
  };
}

/** `Name:` and `Driver:` of `buildx inspect` (the first ones: the builder's, not a node's). */
export function parseInspect(stdout: string): BuilderInfo | undefined {
  const name = /^Name:\s+(\S+)/m.exec(stdout)?.[1];
  const driver = /^Driver:\s+(\S+)/m.exec(stdout)?.[1];
  return name && driver ? { name, driver } : undefined;
}

/** Builder names of `buildx ls` (nodes are indented, the current one carries a `*`). */
export function parseLsNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((l) => /^\S/.test(l))
    .map((l) => l.split(/\s+/)[0]!.replace(/\*$/, ''))
    .filter(Boolean);
}

/** One line refusing `load` where it cannot work, or undefined. */
export function loadRefusal(o: { load: boolean; builder: string; platforms: string[] }): string | undefined {
  if (!o.load) return undefined;
  if (o.builder !== 'buildx')
    return `input "load" needs builder buildx; buildah keeps images in its own storage`;
  if (o.platforms.length > 1)
    return `input "load" loads one platform into the docker image store, but platforms has ${o.platforms.length} (${o.platforms.join(', ')}); build one platform to load it, or set load: false`;
  return undefined;
}

/** The user's buildx config folder, as docker buildx itself finds it (BUILDX_CONFIG, DOCKER_CONFIG, ~/.docker). */
export function userBuildxConfig(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BUILDX_CONFIG) return env.BUILDX_CONFIG;
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'buildx');
}

/** A name that is unique per run: a job on a shared runner never removes another job's builder. */
export function createdBuilderName(random = crypto.randomBytes(4).toString('hex')): string {
  return `kubeline-${random}`;
}

/** `docker buildx create` argv for kubeline's own docker-container builder. */
export function createArgs(name: string, driverOpts: string[]): string[] {
  const opts = driverOpts.flatMap((o) => ['--driver-opt', o]);
  return ['create', '--name', name, '--driver', 'docker-container', ...opts, '--bootstrap'];
}

/** Runs buildx for builder set-up: local calls, bounded, quiet unless they fail. */
interface RunOptions {
  allowFailure?: boolean;
  timeoutMs?: number;
}

/** Creating a builder may pull the BuildKit image first. */
export const BUILDER_BOOT_TIMEOUT_MS = 180_000;

export interface BuildxRunner {
  bin: string;
  run(
    args: string[],
    env: Record<string, string>,
    opts?: RunOptions,
  ): Promise<{ code: number; stdout: string }>;
  /** The same runner with `env` under every call's own. */
  withEnv(env: Record<string, string>): BuildxRunner;
}

export function buildxRunner(bin: string, base: Record<string, string> = {}): BuildxRunner {
  return {
    bin,
    run: (args, env, opts = {}) =>
      exec(bin, args, {
        env: { ...base, ...env },
        silent: true,
        allowFailure: opts.allowFailure ?? false,
        timeoutMs: opts.timeoutMs ?? LOCAL_CALL_TIMEOUT_MS,
      }),
    withEnv: (env) => buildxRunner(bin, { ...base, ...env }),
  };
}

/** The named builder, or one line naming the input, its value and the builders buildx knows. */
export async function inspectNamed(bx: BuildxRunner, name: string): Promise<BuilderInfo> {
  const r = await bx.run(['inspect', name], {}, { allowFailure: true });
  const info = r.code === 0 ? parseInspect(r.stdout) : undefined;
  if (info) return info;
  const ls = await bx.run(['ls'], {}, { allowFailure: true });
  const known = parseLsNames(ls.stdout);
  throw new InputError(
    'buildx-builder',
    name,
    `no such buildx builder; \`docker buildx ls\` has ${known.length ? known.join(', ') : 'none'}`,
  );
}

export async function inspectCurrent(bx: BuildxRunner): Promise<BuilderInfo> {
  const r = await bx.run(['inspect'], {});
  return parseInspect(r.stdout) ?? { name: 'default', driver: 'docker' };
}

/**
 * Creates and bootstraps kubeline's docker-container builder under kubeline's own BUILDX_CONFIG (the
 * user's buildx settings stay untouched), and registers its removal for the post step and a cancel.
 */
export async function createContainerBuilder(
  bx: BuildxRunner,
  opts: { buildxConfig: string; driverOpts: string[]; state: StepState; name?: string },
): Promise<{ name: string; env: Record<string, string> }> {
  const name = opts.name ?? createdBuilderName();
  const env = { BUILDX_CONFIG: opts.buildxConfig };
  const saved: CreatedBuilder = { name, buildxConfig: opts.buildxConfig, bin: bx.bin };
  // Saved before creating: a job cancelled while the builder boots still has it removed.
  opts.state.set(CREATED_BUILDER_STATE, JSON.stringify(saved));
  const dispose = onCancel(() => removeBuilderNow(bx.bin, name, env));
  try {
    await bx.run(createArgs(name, opts.driverOpts), env, { timeoutMs: BUILDER_BOOT_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    await removeBuilder(bx, name, env);
    dispose();
    throw new KubelineError(
      `could not start a docker-container buildx builder: ${lastErrorLine(err.stderr)}; name a working builder with buildx-builder, or set buildkit-host`,
      err.details,
    );
  }
  return { name, env };
}

/** Removes a builder (its container and state volume); a builder already gone is fine. */
export async function removeBuilder(
  bx: BuildxRunner,
  name: string,
  env: Record<string, string>,
): Promise<boolean> {
  const r = await bx.run(['rm', name], env, { allowFailure: true });
  if (r.code === 0) return true;
  const ls = await bx.run(['ls'], env, { allowFailure: true });
  return !parseLsNames(ls.stdout).includes(name);
}

/**
 * The cancel path: exec refuses to start tools once the job is cancelled, and the process is about
 * to exit, so this runs buildx synchronously, bounded, still as an argv array.
 */
function removeBuilderNow(bin: string, name: string, env: Record<string, string>): void {
  spawnSync(bin, ['rm', name], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
    timeout: 15_000,
  });
}

/** The post step: removes the builder the main step created, if any. */
export async function removeCreatedBuilder(
  state: StepState,
  log: { info(line: string): void; warning(line: string): void },
  runner: (bin: string) => BuildxRunner = buildxRunner,
): Promise<void> {
  const raw = state.get(CREATED_BUILDER_STATE);
  if (!raw) return;
  const { name, buildxConfig, bin } = JSON.parse(raw) as CreatedBuilder;
  if (await removeBuilder(runner(bin), name, { BUILDX_CONFIG: buildxConfig }))
    log.info(`removed buildx builder ${name}`);
  else log.warning(`could not remove buildx builder ${name}; remove it with: docker buildx rm ${name}`);
}

/** The last `ERROR:` line buildx printed, or its last line. */
function lastErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const found = [...lines].reverse().find((l) => /ERROR/.test(l)) ?? lines.at(-1) ?? 'no output';
  return found.replace(/^#\d+\s+/, '').trim();
}

export interface SelectOptions {
  source: BuilderSource;
  /** kubeline's own BUILDX_CONFIG, for the builders it declares or creates. */
  ownConfig: string;
  /** The user's BUILDX_CONFIG: kept explicit, as a private DOCKER_CONFIG for the login would hide it. */
  userConfig: string;
  shortfall: string | undefined;
  driverOpts: string[];
  state: StepState;
}

/** The builder for this build, asking buildx as little as it can. */
export async function selectBuilder(bx: BuildxRunner, o: SelectOptions): Promise<ChosenBuilder> {
  const own = { BUILDX_CONFIG: o.ownConfig };
  const user = { BUILDX_CONFIG: o.userConfig };
  if (o.source.kind === 'remote') {
    const name = await declareRemote(bx, o.ownConfig, o.source.endpoint);
    return { name, driver: 'remote', env: own, why: `buildkit-host ${o.source.endpoint}` };
  }
  if (o.source.kind === 'named') {
    const info = await inspectNamed(bx.withEnv(user), o.source.name);
    const warning =
      info.driver === 'docker' && o.shortfall
        ? `builder ${info.name} uses the docker driver, which cannot build ${o.shortfall}`
        : undefined;
    return { ...info, env: user, why: 'named by input buildx-builder', warning };
  }
  const current = await inspectCurrent(bx.withEnv(user));
  const choice = chooseForCurrent(current, o.shortfall);
  if (choice.action === 'use') return { ...current, env: user, why: choice.why };
  log.info(`${choice.why}: creating a docker-container builder for this build`);
  const made = await createContainerBuilder(bx, {
    buildxConfig: o.ownConfig,
    driverOpts: o.driverOpts,
    state: o.state,
  });
  return {
    name: made.name,
    driver: 'docker-container',
    env: made.env,
    why: `${choice.why}; created for this build, removed in the post step`,
  };
}

/**
 * A `remote` builder for a buildkitd address, (re)declared in kubeline's own BUILDX_CONFIG, so the
 * user's buildx settings are neither read nor changed.
 */
async function declareRemote(bx: BuildxRunner, buildxConfig: string, endpoint: string): Promise<string> {
  const name = `kubeline-${crypto.createHash('sha256').update(endpoint).digest('hex').slice(0, 8)}`;
  if (!remoteBuilderDeclared(buildxConfig, name, endpoint))
    await bx.run(['create', '--name', name, '--node', `${name}0`, '--driver', 'remote', endpoint], {
      BUILDX_CONFIG: buildxConfig,
    });
  return name;
}

/**
 * Whether an earlier step already declared this builder: buildx keeps it in `instances/<name>`. Reading
 * that file saves a buildx start per build; anything unexpected just declares it again.
 */
function remoteBuilderDeclared(buildxConfig: string, name: string, endpoint: string): boolean {
  try {
    const instance = JSON.parse(fs.readFileSync(path.join(buildxConfig, 'instances', name), 'utf8')) as {
      Driver?: string;
      Nodes?: Array<{ Endpoint?: string }>;
    };
    return instance.Driver === 'remote' && instance.Nodes?.[0]?.Endpoint === endpoint;
  } catch {
    return false;
  }
}
