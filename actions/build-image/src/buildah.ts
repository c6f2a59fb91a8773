import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KubelineError, ToolError, UserError, exec, log, retry } from '@kubeline/runtime';
import { formatReference } from '@kubeline/image';
import {
  LOCAL_CALL_TIMEOUT_MS,
  buildTimedOut,
  type BuildRequest,
  type BuildResult,
  type ImageBuilder,
} from './builder.js';
import { buildahCacheUse } from './cache-use.js';
import { isLoopbackRegistry } from '@kubeline/image';
import { caDir } from './registry-tls.js';
import type { TaggedRef } from './targets.js';

// vfs storage and chroot isolation: what works on a daemonless runner without fuse-overlayfs or user namespaces.
const STORAGE = ['--storage-driver', 'vfs'];

/** buildah's `--cache-from/--cache-to` take a repository; buildx's `type=registry,ref=…` maps onto it. */
export function buildahCacheRepo(spec: string): string | undefined {
  if (!spec.includes('=')) return spec;
  const fields = new Map(
    spec.split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
  );
  return (fields.get('type') ?? 'registry') === 'registry' ? fields.get('ref') : undefined;
}

const isMultiPlatform = (req: BuildRequest) => req.platforms.length > 1;

const secretFile = (req: BuildRequest, i: number) => path.join(req.workDir, 'secrets', `secret-${i}`);

/** Daemonless builds: `buildah bud`, then `buildah push --digestfile` for the registry's digest. */
export class Buildah implements ImageBuilder {
  private readonly local = `localhost/kubeline-build:${crypto.randomBytes(6).toString('hex')}`;
  readonly pushesUntagged = false;
  readonly canPushByDigest = true;
  /** What this builder left in local storage, for cleanup(): a manifest list or an image. */
  private made: 'manifest' | 'image' | undefined;

  private constructor(private readonly version: string) {}

  get description(): string {
    return `buildah ${this.version}`;
  }

  static async create(): Promise<Buildah> {
    const r = await exec('buildah', ['--version'], { silent: true, timeoutMs: LOCAL_CALL_TIMEOUT_MS }).catch(
      () => {
        throw new UserError('builder buildah: the buildah command is not installed on this runner');
      },
    );
    return new Buildah(/(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? 'unknown');
  }

  private budArgs(req: BuildRequest, iidFile: string, cacheTo: string[]): string[] {
    const args = [...STORAGE, 'bud', '--isolation', 'chroot', '--file', req.dockerfile];
    // One image ID per build: a multi-platform build has several, and its index digest stands for them.
    // buildah 1.28's layer cache hands one platform's layers to the next: cache single-platform builds only.
    if (!isMultiPlatform(req)) args.push('--layers', '--iidfile', iidFile);
    if (req.platforms.length) args.push('--platform', req.platforms.join(','));
    args.push(isMultiPlatform(req) ? '--manifest' : '--tag', this.local);
    for (const [k, v] of req.labels) args.push('--label', `${k}=${v}`);
    for (const [k, v] of req.buildArgs) args.push('--build-arg', `${k}=${v}`);
    [...req.secrets.keys()].forEach((id, i) => args.push('--secret', `id=${id},src=${secretFile(req, i)}`));
    for (const [flag, specs] of [
      ['--cache-from', req.cacheFrom],
      ['--cache-to', cacheTo],
    ] as const) {
      for (const spec of specs) {
        const repo = buildahCacheRepo(spec);
        if (repo) args.push(flag, repo);
        else log.warning(`ignored ${flag.slice(2)} ${spec}: buildah caches in a registry repository only`);
      }
    }
    if (req.target) args.push('--target', req.target);
    if (req.pull) args.push('--pull=always');
    if (req.noCache) args.push('--no-cache');
    if (req.dockerConfig) args.push('--authfile', path.join(req.dockerConfig, 'config.json'));
    args.push(req.context);
    return args;
  }

  /** Secrets go to files only the build reads; the work folder is removed after the build. */
  private writeSecrets(req: BuildRequest): void {
    if (req.secrets.size === 0) return;
    fs.mkdirSync(path.dirname(secretFile(req, 0)), { mode: 0o700 });
    [...req.secrets.values()].forEach((value, i) =>
      fs.writeFileSync(secretFile(req, i), value, { mode: 0o600 }),
    );
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    for (const input of ['provenance', 'sbom'] as const)
      if (req[input] !== 'false')
        log.warning(`ignored ${input}: ${req[input]}: attestations need builder buildx`);
    const multiPlatform = isMultiPlatform(req);
    this.made = multiPlatform ? 'manifest' : 'image';
    this.writeSecrets(req);
    const iidFile = path.join(req.workDir, 'iid');
    let bud;
    try {
      bud = await exec('buildah', this.budArgs(req, iidFile, req.cacheTo), { timeoutMs: req.timeoutMs });
    } catch (err) {
      if (req.cacheTo.length === 0 || !/cache/i.test(String((err as { stderr?: string }).stderr)))
        throw buildTimedOut(err, req);
      log.warning('the build failed while exporting its cache; building again without cache-to');
      bud = await exec('buildah', this.budArgs(req, iidFile, []), { timeoutMs: req.timeoutMs }).catch(
        (e: unknown) => {
          throw buildTimedOut(e, req);
        },
      );
    }
    // buildah's local digest is not what a registry serves (buildah#3866): only a push tells.
    const digest =
      req.push === 'tags'
        ? await this.pushAll(req, req.targets)
        : await this.push(req, `oci:${path.join(req.workDir, 'oci')}:image`);
    const imageId = multiPlatform ? digest : fs.readFileSync(iidFile, 'utf8').trim();
    const metadata = {
      'containerimage.digest': digest,
      'containerimage.config.digest': imageId,
      'image.name': req.targets.map(formatReference).join(','),
      'buildah.version': this.version,
    };
    const local = multiPlatform ? undefined : await this.inspect();
    return {
      digest,
      imageId,
      metadata,
      cache: buildahCacheUse(bud.stdout + bud.stderr),
      ...(local ? { platform: local.platform, localBytes: local.bytes } : {}),
    };
  }

  private async push(req: BuildRequest, destination: string, registry?: string): Promise<string> {
    const digestFile = path.join(req.workDir, `digest-${crypto.randomBytes(4).toString('hex')}`);
    const args = [...STORAGE, ...(isMultiPlatform(req) ? ['manifest', 'push', '--all'] : ['push'])];
    args.push('--digestfile', digestFile);
    if (registry) {
      const certs = caDir(req);
      if (certs) args.push('--cert-dir', certs);
      else if (isLoopbackRegistry(registry)) args.push('--tls-verify=false');
      if (req.dockerConfig) args.push('--authfile', path.join(req.dockerConfig, 'config.json'));
    }
    // buildah retries dropped connections itself, but not a 5xx on the manifest: the push is
    // idempotent (same bytes, same digest), so a registry's bad moment is retried here too.
    await retry(
      () =>
        exec('buildah', [...args, this.local, destination], { timeoutMs: req.timeoutMs }).catch(
          (err: unknown) => {
            throw buildTimedOut(err, req);
          },
        ),
      {
        attempts: 3,
        retryable: isTransientPushFailure,
        onRetry: (_err, attempt, delayMs) =>
          log.warning(
            `buildah push to ${destination} failed (attempt ${attempt}); retrying in ${delayMs} ms`,
          ),
      },
    );
    return fs.readFileSync(digestFile, 'utf8').trim();
  }

  private async pushAll(req: BuildRequest, refs: TaggedRef[]): Promise<string> {
    const digests = new Set<string>();
    for (const ref of refs)
      digests.add(await this.push(req, `docker://${formatReference(ref)}`, ref.registry));
    if (digests.size > 1)
      throw new KubelineError(`buildah pushed different digests to the tags: ${[...digests].join(', ')}`);
    return [...digests][0]!;
  }

  async tag(req: BuildRequest, refs: TaggedRef[], digest: string): Promise<void> {
    const pushed = await this.pushAll(req, refs);
    if (pushed !== digest)
      throw new KubelineError(`buildah pushed ${pushed}, not the ${digest} it computed before the push`);
  }

  /** Uncompressed: buildah keeps layers unpacked and compresses them only while pushing. */
  async size(_req: BuildRequest, result: BuildResult): Promise<{ bytes: number; note: string } | undefined> {
    return result.localBytes === undefined ? undefined : { bytes: result.localBytes, note: 'uncompressed' };
  }

  /** The platform and local size of a single-platform image, in one inspect. */
  private async inspect(): Promise<{ platform: string; bytes: number }> {
    const format =
      '{{.OCIv1.OS}}/{{.OCIv1.Architecture}}{{if .OCIv1.Variant}}/{{.OCIv1.Variant}}{{end}}\n{{.Manifest}}';
    const r = await exec(
      'buildah',
      [...STORAGE, 'inspect', '--type', 'image', '--format', format, this.local],
      { silent: true, timeoutMs: LOCAL_CALL_TIMEOUT_MS },
    );
    const [platform = '', manifest = '{}'] = r.stdout.split('\n');
    const m = JSON.parse(manifest) as { config?: { size: number }; layers?: Array<{ size: number }> };
    return { platform, bytes: (m.config?.size ?? 0) + (m.layers ?? []).reduce((n, l) => n + l.size, 0) };
  }

  async cleanup(): Promise<void> {
    if (!this.made) return;
    const args = this.made === 'manifest' ? ['manifest', 'rm', this.local] : ['rmi', this.local];
    await exec('buildah', [...STORAGE, ...args], {
      silent: true,
      allowFailure: true,
      timeoutMs: LOCAL_CALL_TIMEOUT_MS,
    }).catch(() => undefined);
  }
}

/** A push that failed on the registry's side for the moment: a 5xx or 429, or a cut connection. */
export function isTransientPushFailure(err: unknown): boolean {
  return (
    err instanceof ToolError &&
    /status:? (5\d\d|429)\b|: EOF\b|connection reset by peer|i\/o timeout|TOOMANYREQUESTS/.test(err.stderr)
  );
}
