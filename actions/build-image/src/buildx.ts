import fs from 'node:fs';
import path from 'node:path';
import { KubelineError, ToolError, exec, log, runnerTemp } from '@kubeline/runtime';
import { imageName } from '@kubeline/image';
import { ensureTool } from '@kubeline/tools';
import {
  LOCAL_CALL_TIMEOUT_MS,
  REGISTRY_CALL_TIMEOUT_MS,
  buildTimedOut,
  type BuildRequest,
  type BuildResult,
  type ImageBuilder,
} from './builder.js';
import {
  buildxRunner,
  selectBuilder,
  userBuildxConfig,
  type ChosenBuilder,
  type SelectOptions,
} from './buildx-builder.js';
import { buildxArgs, cacheExportErrors, isCacheExportFailure, secretEnv } from './buildx-args.js';
import { gatedFlags } from './buildx-features.js';
import { buildxCacheUse } from './cache-use.js';
import { trustedCaEnv } from './registry-tls.js';

interface Manifest {
  config?: { size: number };
  layers?: Array<{ size: number }>;
  manifests?: Array<{ digest: string; annotations?: Record<string, string> }>;
}

/** docker buildx (standalone binary, verified install) on the builder buildx-builder.ts chose. */
export class Buildx implements ImageBuilder {
  readonly pushesUntagged = true;
  private constructor(
    private readonly bin: string,
    private readonly version: string,
    private readonly chosen: ChosenBuilder,
  ) {}

  get canPushByDigest(): boolean {
    return this.chosen.driver !== 'docker';
  }

  private get builder(): string {
    return this.chosen.name;
  }

  get description(): string {
    const { driver, name } = this.chosen;
    const what =
      driver === 'docker'
        ? 'docker engine'
        : driver === 'remote'
          ? 'remote buildkitd'
          : `${driver} builder ${name}`;
    return `buildx ${this.version} (${what})`;
  }

  /** Installs buildx and chooses the builder (see buildx-builder.ts), saying which and why. */
  static async create(o: Omit<SelectOptions, 'ownConfig' | 'userConfig'> & { versionInput: string }) {
    const tool = await ensureTool('buildx', o.versionInput, 'buildx-version');
    const chosen = await selectBuilder(buildxRunner(tool.path), {
      ...o,
      ownConfig: path.join(runnerTemp(), 'kubeline-buildx'),
      userConfig: userBuildxConfig(),
    });
    log.info(`buildx builder: ${chosen.name} (driver ${chosen.driver}): ${chosen.why}`);
    if (chosen.warning) log.warning(chosen.warning);
    return new Buildx(tool.path, tool.version, chosen);
  }

  private env(req: BuildRequest): Record<string, string> {
    return {
      ...this.chosen.env,
      ...(req.dockerConfig ? { DOCKER_CONFIG: req.dockerConfig } : {}),
      ...trustedCaEnv(req),
    };
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    const gated = gatedFlags(this.version, { provenance: req.provenance, sbom: req.sbom });
    for (const why of gated.ignored) log.warning(`ignored ${why}`);
    const metadataFile = path.join(req.workDir, 'metadata.json');
    const iidFile = path.join(req.workDir, 'iid');
    const run = (cacheTo: string[]) =>
      exec(
        this.bin,
        buildxArgs(req, {
          builder: this.builder,
          metadataFile,
          iidFile,
          gatedFlags: gated.flags,
          cacheTo,
          // The docker driver's image output is the engine's image store already.
          load: req.load === true && this.chosen.driver !== 'docker',
        }),
        {
          env: { ...this.env(req), ...secretEnv(req) },
          timeoutMs: req.timeoutMs,
        },
      ).catch((err: unknown) => {
        throw buildTimedOut(err, req);
      });
    let result;
    try {
      result = await run(req.cacheTo);
    } catch (err) {
      if (!(err instanceof ToolError) || req.cacheTo.length === 0 || !isCacheExportFailure(err.stderr))
        throw err;
      log.warning(`cache export failed; building again without cache-to: ${lastError(err.stderr)}`);
      result = await run([]);
    }
    for (const e of cacheExportErrors(result.stderr))
      log.warning(`cache export failed (the image is fine): ${e}`);
    const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as Record<string, unknown>;
    const digest = metadata['containerimage.digest'];
    if (typeof digest !== 'string' || !digest)
      throw new KubelineError(
        `buildx reported no image digest (containerimage.digest missing from ${metadataFile})`,
      );
    const imageId = fs.existsSync(iidFile) ? fs.readFileSync(iidFile, 'utf8').trim() : digest;
    const platform =
      descriptorPlatform(metadata) ??
      (req.platforms.length > 1 ? undefined : (req.platforms[0] ?? (await this.nativePlatform(req))));
    return { digest, imageId, metadata, cache: buildxCacheUse(result.stderr), platform };
  }

  /** The docker driver's metadata names no platform: the builder's first (native) one is what it built. */
  private async nativePlatform(req: BuildRequest): Promise<string | undefined> {
    const r = await exec(this.bin, ['inspect', this.builder], {
      env: this.env(req),
      silent: true,
      allowFailure: true,
      timeoutMs: LOCAL_CALL_TIMEOUT_MS,
    });
    return /^Platforms:\s+([^,\s]+)/m.exec(r.stdout)?.[1];
  }

  /** Layers and config as the registry holds them, summed over the platforms of an index. */
  async size(req: BuildRequest, result: BuildResult): Promise<{ bytes: number } | undefined> {
    if (req.push === 'none') return undefined;
    const repo = imageName(req.targets[0]!);
    const top = await this.rawManifest(req, `${repo}@${result.digest}`);
    const images = top.manifests
      ? await Promise.all(
          top.manifests
            .filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
            .map((m) => this.rawManifest(req, `${repo}@${m.digest}`)),
        )
      : [top];
    return {
      bytes: images.reduce((n, m) => n + (m.config?.size ?? 0) + sum(m.layers?.map((l) => l.size)), 0),
    };
  }

  private async rawManifest(req: BuildRequest, ref: string): Promise<Manifest> {
    const args = ['imagetools', 'inspect', '--builder', this.builder, '--raw', ref];
    const r = await exec(this.bin, args, {
      env: this.env(req),
      silent: true,
      timeoutMs: REGISTRY_CALL_TIMEOUT_MS,
    });
    return JSON.parse(r.stdout) as Manifest;
  }

  async cleanup(): Promise<void> {}
}

/** `containerimage.descriptor.platform` of a single-platform build, as `os/arch[/variant]`. */
function descriptorPlatform(metadata: Record<string, unknown>): string | undefined {
  const p = (
    metadata['containerimage.descriptor'] as {
      platform?: { os: string; architecture: string; variant?: string };
    }
  )?.platform;
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined;
}

const sum = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0);

function lastError(stderr: string): string {
  return (
    stderr
      .split('\n')
      .reverse()
      .find((l) => /ERROR/.test(l))
      ?.trim() ?? 'see the log above'
  );
}
