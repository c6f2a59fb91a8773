import { KubelineError, ToolError, formatDuration } from '@kubeline/runtime';
import type { CacheUse } from './cache-use.js';
import type { TaggedRef } from './targets.js';

/**
 * How the image leaves the builder: `tags` pushes every tag at once; `digest` pushes the image
 * untagged, so tags are only pointed at it once the tag policy has seen its digest; `none` pushes
 * nothing.
 */
export type PushMode = 'tags' | 'digest' | 'none';

/** One build, in the terms both backends share. */
export interface BuildRequest {
  context: string;
  dockerfile: string;
  targets: TaggedRef[];
  labels: Map<string, string>;
  buildArgs: Map<string, string>;
  secrets: Map<string, string>;
  platforms: string[];
  cacheFrom: string[];
  cacheTo: string[];
  target: string;
  provenance: string;
  sbom: string;
  pull: boolean;
  noCache: boolean;
  push: PushMode;
  /** Also load the image into the local docker image store (buildx only, one platform). */
  load?: boolean;
  /** A private DOCKER_CONFIG holding the registry login, when one was given. */
  dockerConfig?: string;
  registryCa?: string;
  /** A private folder for the builder's files (metadata, secrets); removed after the build. */
  workDir: string;
  /** The bound on the build and its push (input `timeout`). */
  timeoutMs: number;
}

/** Tagging, manifest reads and other registry calls of a builder: quick, or the registry is stuck. */
export const REGISTRY_CALL_TIMEOUT_MS = 120_000;
/** Local calls (version, inspect, builder set-up). */
export const LOCAL_CALL_TIMEOUT_MS = 30_000;

/** A build that outlived its bound: one line naming the input, not the tool's exit. */
export function buildTimedOut(err: unknown, req: BuildRequest): unknown {
  if (!(err instanceof ToolError) || !err.timedOut) return err;
  return new KubelineError(
    `the build did not finish within timeout (${formatDuration(req.timeoutMs)}); it was stopped`,
    err.details,
  );
}

export interface BuildResult {
  /** The manifest (or index) digest: what the registry serves once pushed. */
  digest: string;
  /** The config digest or the builder's local image ID. */
  imageId: string;
  metadata: Record<string, unknown>;
  cache: CacheUse;
  /** The platform of a single-platform image, when the builder knows it. */
  platform?: string;
  /** Bytes of the image in the builder's local storage (uncompressed), when it keeps one. */
  localBytes?: number;
}

export interface ImageBuilder {
  /** For logs and the summary: `buildx 0.37.1 (remote driver)`. */
  readonly description: string;
  /** In push mode `digest`, whether the image is already in the registry (untagged) or only its digest is known. */
  readonly pushesUntagged: boolean;
  /** Whether push mode `digest` is possible (buildx's docker driver cannot push by digest). */
  readonly canPushByDigest: boolean;
  build(req: BuildRequest): Promise<BuildResult>;
  /**
   * Pushes the tags of an image built in push mode `digest` but not pushed yet; an image already
   * pushed untagged is tagged in the registry instead (registry-check.ts).
   */
  tag?(req: BuildRequest, refs: TaggedRef[], digest: string): Promise<void>;
  /** Bytes of the image as pushed (layers and config), when the builder can tell. */
  size(req: BuildRequest, result: BuildResult): Promise<{ bytes: number; note?: string } | undefined>;
  /** Frees what the build left behind locally. */
  cleanup(): Promise<void>;
}
