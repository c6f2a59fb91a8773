// Helm's own release records, read straight from the cluster. Each revision is a Secret
// (sh.helm.release.v1.<release>.v<revision>) labelled with its status and version; its payload is the
// release as gzipped JSON. One API call answers what a `helm history` or `helm get manifest` process
// (~60–100 ms of start-up and a core's worth of CPU each, beside a helm that is rendering) would. Helm
// keeps the format; when HELM_DRIVER stores releases elsewhere, or a record is not what helm writes,
// these return undefined and the caller asks helm.
import { gunzipSync } from 'node:zlib';
import { unlessNotFound, type Cluster } from '@kubeline/kube';
import type { Helm, HelmTarget, HistoryEntry, ReleaseStatus } from './cli.js';

// A release's JSON is rarely over a few MB; a record inflating past this is refused, not read.
const MAX_RELEASE_BYTES = 64 * 1024 * 1024;

/**
 * Past this many records (helm keeps 10 unless told otherwise) helm reads the history instead: a
 * record may be up to 1 MiB, and helm decodes them in its own process, not in the action's heap.
 */
export const STORED_REVISIONS_READ = 32;

/** The parts of helm's release JSON that kubeline reads. */
export interface ReleaseRecord {
  version?: unknown;
  manifest?: unknown;
  info?: { status?: unknown; last_deployed?: unknown; description?: unknown };
  chart?: { metadata?: { name?: unknown; version?: unknown; appVersion?: unknown } } | null;
}

/** Whether helm keeps releases in Secrets (its default driver) for this process. */
export function releasesInSecrets(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['', 'secret', 'secrets'].includes((env.HELM_DRIVER ?? '').toLowerCase());
}

export function storageSecretName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`;
}

function unpack(payload: string | undefined): ReleaseRecord | undefined {
  if (!payload) return undefined;
  try {
    // Kubernetes base64-encodes Secret data; helm base64-encodes its gzip before that.
    const packed = Buffer.from(Buffer.from(payload, 'base64').toString('latin1'), 'base64');
    const gzipped = packed[0] === 0x1f && packed[1] === 0x8b;
    const json = gzipped ? gunzipSync(packed, { maxOutputLength: MAX_RELEASE_BYTES }) : packed;
    const record = JSON.parse(json.toString('utf8')) as unknown;
    return typeof record === 'object' && record !== null ? (record as ReleaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest helm stored with a revision, from the Secret's payload; undefined when unreadable. */
export function decodeStoredRelease(payload: string | undefined): { manifest: string } | undefined {
  const manifest = unpack(payload)?.manifest;
  return typeof manifest === 'string' ? { manifest } : undefined;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The row `helm history -o json` prints for a stored release (helm's own formatting: chart
 * `<name>-<version>`, "MISSING" without chart metadata); undefined when a field helm always writes
 * is missing.
 */
export function historyEntryOf(record: ReleaseRecord): HistoryEntry | undefined {
  const { version, info } = record;
  const status = text(info?.status);
  const updated = text(info?.last_deployed);
  if (typeof version !== 'number' || !Number.isInteger(version) || !status || !updated) return undefined;
  const meta = record.chart?.metadata;
  return {
    revision: version,
    updated,
    status: status as ReleaseStatus,
    chart: meta ? `${text(meta.name) ?? ''}-${text(meta.version) ?? ''}` : 'MISSING',
    app_version: meta ? (text(meta.appVersion) ?? '') : 'MISSING',
    description: text(info?.description) ?? '',
  };
}

/** One stored revision: its history row and the manifest helm applied. */
export interface StoredRevision {
  entry: HistoryEntry;
  manifest: string;
}

/** A Secret's revision, or undefined when it is not a release record helm wrote. */
function storedRevision(secret: {
  type?: string;
  data?: Record<string, string>;
}): StoredRevision | undefined {
  if (secret.type !== 'helm.sh/release.v1') return undefined;
  const record = unpack(secret.data?.release);
  const entry = record && historyEntryOf(record);
  return entry && typeof record.manifest === 'string' ? { entry, manifest: record.manifest } : undefined;
}

/**
 * A release's revisions, oldest first, from one LIST of its Secrets; undefined when helm keeps
 * releases elsewhere, there are more than STORED_REVISIONS_READ, or any record is not one helm wrote
 * (helm is asked then, and says what is wrong).
 */
export async function storedRevisions(
  cluster: Cluster,
  namespace: string,
  release: string,
): Promise<StoredRevision[] | undefined> {
  if (!releasesInSecrets()) return undefined;
  const list = await cluster.core.listNamespacedSecret({
    namespace,
    labelSelector: `owner=helm,name=${release}`,
    // One more than read: the API server may hand a continue token with a selector even when
    // nothing else matches, so only a full page says there are too many.
    limit: STORED_REVISIONS_READ + 1,
  });
  if (list.items.length > STORED_REVISIONS_READ || list.metadata?._continue) return undefined;
  const revisions: StoredRevision[] = [];
  for (const secret of list.items) {
    const revision = storedRevision(secret);
    if (!revision) return undefined;
    revisions.push(revision);
  }
  return revisions.sort((a, b) => a.entry.revision - b.entry.revision);
}

/** A release's history and each revision's manifest, read once. */
export interface ReleaseRead {
  history: HistoryEntry[];
  manifest(revision: number): Promise<string>;
}

/**
 * The release as helm stored it: from its Secrets in one call, else (another driver, a record helm
 * would not read either, an API call that failed) from `helm history` and `helm get manifest`.
 */
export async function readRelease(
  helm: Helm,
  cluster: Cluster,
  target: HelmTarget,
  release: string,
): Promise<ReleaseRead> {
  const stored = await storedRevisions(cluster, target.namespace, release).catch(() => undefined);
  if (!stored) {
    return {
      history: await helm.history(release, target),
      manifest: (revision) => helm.manifest(release, target, revision),
    };
  }
  const manifests = new Map(stored.map((s) => [s.entry.revision, s.manifest]));
  return {
    history: stored.map((s) => s.entry),
    manifest: async (revision) => manifests.get(revision) ?? helm.manifest(release, target, revision),
  };
}

/** The release's revisions, oldest first, as `helm history` lists them (see readRelease). */
export async function releaseHistory(
  helm: Helm,
  cluster: Cluster,
  target: HelmTarget,
  release: string,
): Promise<HistoryEntry[]> {
  return (await readRelease(helm, cluster, target, release)).history;
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
