// Helm's own release records, read straight from the cluster. Each revision is a Secret
// (sh.helm.release.v1.<release>.v<revision>) labelled with its status and version; its payload is the
// release as gzipped JSON. One API call answers what a `helm history` or `helm get manifest` process
// (~60–100 ms of start-up each, on the deploy's critical path) would. Helm keeps the format; when
// HELM_DRIVER stores releases elsewhere, or a record is not what helm writes, these return undefined
// and the caller asks helm.
import { gunzipSync } from 'node:zlib';
import { unlessNotFound, type Cluster } from '@kubeline/kube';
import type { Helm, HelmTarget } from './cli.js';

// A release's JSON is rarely over a few MB; a record inflating past this is refused, not read.
const MAX_RELEASE_BYTES = 64 * 1024 * 1024;

/** Whether helm keeps releases in Secrets (its default driver) for this process. */
export function releasesInSecrets(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['', 'secret', 'secrets'].includes((env.HELM_DRIVER ?? '').toLowerCase());
}

export function storageSecretName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`;
}

/** The manifest helm stored with a revision, from the Secret's payload; undefined when unreadable. */
export function decodeStoredRelease(payload: string | undefined): { manifest: string } | undefined {
  if (!payload) return undefined;
  try {
    // Kubernetes base64-encodes Secret data; helm base64-encodes its gzip before that.
    const packed = Buffer.from(Buffer.from(payload, 'base64').toString('latin1'), 'base64');
    const gzipped = packed[0] === 0x1f && packed[1] === 0x8b;
    const json = gzipped ? gunzipSync(packed, { maxOutputLength: MAX_RELEASE_BYTES }) : packed;
    const release = JSON.parse(json.toString('utf8')) as { manifest?: unknown };
    return typeof release.manifest === 'string' ? { manifest: release.manifest } : undefined;
  } catch {
    return undefined;
  }
}

/** A revision's stored manifest, or undefined when it is not in a helm Secret (the caller asks helm). */
export async function storedManifest(
  cluster: Cluster,
  namespace: string,
  release: string,
  revision: number,
): Promise<string | undefined> {
  if (!releasesInSecrets()) return undefined;
  const secret = await unlessNotFound(
    cluster.core.readNamespacedSecret({ name: storageSecretName(release, revision), namespace }),
  );
  if (secret?.type !== 'helm.sh/release.v1') return undefined;
  return decodeStoredRelease(secret.data?.release)?.manifest;
}

/** A revision's manifest: from its Secret when helm keeps one, else from `helm get manifest`. */
export async function manifestOf(
  helm: Helm,
  cluster: Cluster,
  target: HelmTarget,
  release: string,
  revision: number,
): Promise<string> {
  const stored = await storedManifest(cluster, target.namespace, release, revision);
  return stored ?? helm.manifest(release, target, revision);
}

/**
 * The newest revision helm has stored for a release (0 for none), from the Secrets' labels; undefined
 * when helm keeps releases elsewhere.
 */
export async function newestStoredRevision(
  cluster: Cluster,
  namespace: string,
  release: string,
): Promise<number | undefined> {
  if (!releasesInSecrets()) return undefined;
  const list = await cluster.core.listNamespacedSecret({
    namespace,
    labelSelector: `owner=helm,name=${release}`,
  });
  const versions = list.items.map((s) => Number(s.metadata?.labels?.version));
  return Math.max(0, ...versions.filter((v) => Number.isInteger(v) && v > 0));
}
