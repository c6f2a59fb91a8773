import {
  UserError,
  credentialPair,
  log,
  readInputs,
  run,
  type ActionContext,
  type InputValues,
} from '@kubeline/runtime';
import {
  formatReference,
  imageName,
  makeContract,
  registryCaFile,
  writeRegistryLogin,
  type Credentials,
  type ImageContract,
} from '@kubeline/image';
import { action, type OutputName } from './action.generated.js';
import { Buildah } from './buildah.js';
import { Buildx } from './buildx.js';
import {
  builderSource,
  dockerDriverShortfall,
  loadRefusal,
  removeCreatedBuilder,
  type BuilderSource,
} from './buildx-builder.js';
import type { BuildRequest, BuildResult, ImageBuilder, PushMode } from './builder.js';
import { createdAt, defaultTags, ociLabels } from './default-tags.js';
import { readGitContext } from './git-context.js';
import { inputSpec } from './inputs.js';
import {
  checkPlatforms,
  confirmPushed,
  lookupTags,
  pointTags,
  registryClients,
  type ClientFor,
} from './registry-check.js';
import { writeSummary } from './report.js';
import { locateSources } from './sources.js';
import { choosePushMode, movedTags, refuseMove, type ExistingTag } from './tag-policy.js';
import { repositoriesOf, resolveTargets, type TaggedRef } from './targets.js';

type Inputs = InputValues<typeof inputSpec>;

function credentialsOf(inputs: Inputs): Credentials | undefined {
  return credentialPair(inputs['registry-username'], inputs['registry-password'], {
    username: 'registry-username',
    password: 'registry-password',
  });
}

/** Input combinations no builder can serve: one line, before anything is installed or built. */
function checkBuilderInputs(inputs: Inputs): BuilderSource {
  const refusal = loadRefusal({ load: inputs.load, builder: inputs.builder, platforms: inputs.platforms });
  if (refusal) throw new UserError(refusal);
  return builderSource({
    buildkitHostInput: inputs['buildkit-host'],
    buildkitHostEnv: process.env.BUILDKIT_HOST ?? '',
    builderInput: inputs['buildx-builder'],
  });
}

function createBuilder(
  ctx: ActionContext<OutputName>,
  inputs: Inputs,
  source: BuilderSource,
): Promise<ImageBuilder> {
  if (inputs.builder === 'buildah') return Buildah.create();
  return Buildx.create({
    versionInput: inputs['buildx-version'],
    source,
    shortfall: dockerDriverShortfall({ platforms: inputs.platforms, cacheTo: inputs['cache-to'] }),
    driverOpts: inputs['buildx-driver-opts'],
    state: ctx.state,
  });
}

/** What to build and where it goes: inputs checked, sources found, tags and labels from git. */
async function plan(inputs: Inputs) {
  const { context, dockerfile } = locateSources(inputs.context, inputs.file);
  const credentials = credentialsOf(inputs);
  const policy = inputs['tag-policy'];
  const git = await readGitContext(context);
  const targets = resolveTargets({
    tags: inputs.tags,
    repository: inputs.repository,
    policy,
    defaults: () => defaultTags(git, policy),
  });
  const labels = new Map([
    ...Object.entries(ociLabels(git, targets[0]!.tag, createdAt(git, process.env))),
    ...inputs.labels,
  ]);
  return { context, dockerfile, credentials, policy, targets, labels };
}

function buildRequest(
  inputs: Inputs,
  p: Plan,
  push: PushMode,
  access: { dockerConfig?: string; registryCa?: string },
  workDir: string,
): BuildRequest {
  return {
    context: p.context,
    dockerfile: p.dockerfile,
    targets: p.targets,
    labels: p.labels,
    buildArgs: inputs['build-args'],
    secrets: inputs.secrets,
    platforms: inputs.platforms,
    cacheFrom: inputs['cache-from'],
    cacheTo: inputs['cache-to'],
    target: inputs.target,
    provenance: inputs.provenance,
    sbom: inputs.sbom,
    pull: inputs.pull,
    noCache: inputs['no-cache'],
    push,
    load: inputs.load,
    ...access,
    workDir,
    timeoutMs: inputs.timeout ?? 60 * 60_000,
  };
}

type Plan = Awaited<ReturnType<typeof plan>>;

/** Builds and points the tags; under the immutable policy a tag only ever points to the digest it had. */
async function buildAndTag(
  builder: ImageBuilder,
  req: BuildRequest,
  existing: ExistingTag[],
  client: ClientFor,
) {
  const result = await builder.build(req);
  const moved = movedTags(existing, result.digest);
  if (req.push === 'digest') {
    const leftBehind = builder.pushesUntagged ? 'untagged' : 'nothing';
    if (moved.length) throw refuseMove(moved, result.digest, leftBehind);
    const known = new Set(existing.map((e) => formatReference(e.ref)));
    const fresh = req.targets.filter((t) => !known.has(formatReference(t)));
    // Tags that were new when the build started may have been taken by another build since.
    const taken = fresh.length ? movedTags(await lookupTags(fresh, client), result.digest) : [];
    if (taken.length) throw refuseMove(taken, result.digest, leftBehind, 'during this build');
    if (fresh.length && builder.tag) await builder.tag(req, fresh, result.digest);
    else if (fresh.length) await pointTags(fresh, result.digest, client);
  }
  for (const m of moved) log.info(`tag ${formatReference(m.ref)} moved from ${m.digest} to ${result.digest}`);
  return { result, moved };
}

/** The contract: per-platform digests from the registry's index, or the one platform the builder built. */
function imageContract(
  p: Plan,
  req: BuildRequest,
  result: BuildResult,
  indexPlatforms: Array<{ platform: string; digest: string }>,
): ImageContract {
  const single = result.platform ? [{ platform: result.platform, digest: result.digest }] : [];
  const name = repositoriesOf(p.targets)[0]!;
  return makeContract({
    name,
    digest: result.digest,
    tags: p.targets.filter((t) => imageName(t) === name).map((t) => t.tag),
    platforms: indexPlatforms.length ? indexPlatforms : single,
    pushed: req.push !== 'none',
    labels: Object.fromEntries(p.labels),
  });
}

function writeOutputs(
  ctx: ActionContext<OutputName>,
  contract: ImageContract,
  result: BuildResult,
  targets: TaggedRef[],
  loaded: boolean,
): void {
  ctx.output('digest', contract.digest);
  ctx.output('image', contract.ref);
  ctx.output('image-id', result.imageId);
  ctx.output('tags', targets.map(formatReference).join(','));
  ctx.output('platforms', contract.platforms);
  ctx.output('metadata', result.metadata);
  ctx.output('loaded', loaded);
  ctx.output('image-json', contract);
}

async function main(ctx: ActionContext<OutputName>): Promise<void> {
  const started = Date.now();
  const inputs = readInputs(action, inputSpec);
  const source = checkBuilderInputs(inputs);
  const p = await plan(inputs);
  const registries = [...new Set(p.targets.map((t) => t.registry))];
  // The login lives in the run's work dir: removed with it, by the post step too when cancelled.
  const workDir = ctx.workDir();
  const login = p.credentials
    ? writeRegistryLogin(
        registries.map((registry) => ({ registry, ...p.credentials! })),
        workDir,
      )
    : undefined;
  let builder: ImageBuilder | undefined;
  try {
    const registryCa = registryCaFile(inputs['registry-ca'], workDir);
    const client = registryClients(p.credentials, registryCa);
    // Installing buildx and asking the registry about the tags do not depend on each other.
    const [created, existing] = await Promise.all([
      createBuilder(ctx, inputs, source),
      inputs.push ? lookupTags(p.targets, client) : Promise.resolve([]),
    ]);
    builder = created;
    const req = buildRequest(
      inputs,
      p,
      choosePushMode(inputs.push, p.policy, existing, created.canPushByDigest),
      { dockerConfig: login?.dockerConfig, registryCa },
      workDir,
    );
    ctx.log.info(`building ${p.targets.map(formatReference).join(', ')} with ${builder.description}`);
    const buildStarted = Date.now();
    const { result, moved } = await buildAndTag(builder, req, existing, client);
    const buildMs = Date.now() - buildStarted;

    const [indexPlatforms, size] = await Promise.all([
      req.push === 'none' ? Promise.resolve([]) : confirmPushed(p.targets, result.digest, client),
      builder.size(req, result).catch(() => undefined),
    ]);
    if (req.push !== 'none') checkPlatforms(req.platforms, indexPlatforms);
    const contract = imageContract(p, req, result, indexPlatforms);
    ctx.log.info(req.push === 'none' ? `built ${contract.ref} (not pushed)` : `pushed ${contract.ref}`);
    if (inputs.load)
      ctx.log.info(`loaded ${p.targets.map(formatReference).join(', ')} into the docker image store`);
    writeOutputs(ctx, contract, result, p.targets, inputs.load);
    writeSummary(ctx.summary, {
      contract,
      targets: p.targets,
      builder: builder.description,
      imageId: result.imageId,
      size,
      buildMs,
      totalMs: Date.now() - started,
      cache: result.cache,
      movedTags: moved.map((m) => formatReference(m.ref)),
    });
  } finally {
    await builder?.cleanup();
  }
}

/** Removes the buildx builder the main step created, cancelled or not. */
async function post(ctx: ActionContext<OutputName>): Promise<void> {
  await removeCreatedBuilder(ctx.state, ctx.log);
}

await run(action, main, post);
