// cosign `attest --type vuln` unmarshals the predicate into its CosignVulnPredicate: a bare trivy
// report would silently become an empty predicate, so trivy JSON is wrapped the way
// `trivy --format cosign-vuln` does.
import { pinnedDigest } from '@kubeline/image';

export interface CosignVulnPredicate {
  invocation: { parameters: unknown; uri: string; event_id: string; 'builder.id': string };
  scanner: {
    uri: string;
    version: string;
    db: { uri: string; version: string };
    result: unknown;
  };
  metadata: { scanStartedOn: string; scanFinishedOn: string };
}

interface TrivyReport {
  SchemaVersion?: number;
  CreatedAt?: string;
  ArtifactName?: string;
  Trivy?: { Version?: string };
  Metadata?: { RepoDigests?: string[] };
  Results?: unknown[];
}

export function isVulnPredicate(doc: unknown): doc is CosignVulnPredicate {
  const scanner = (doc as { scanner?: { result?: unknown } } | null)?.scanner;
  return typeof scanner === 'object' && scanner !== null && 'result' in scanner;
}

export function isTrivyReport(doc: unknown): doc is TrivyReport {
  const r = doc as TrivyReport | null;
  return typeof r === 'object' && r !== null && typeof r.SchemaVersion === 'number' && 'ArtifactName' in r;
}

/**
 * The predicate for a trivy JSON report (or the predicate itself when it already is one).
 * `scannedAt` stands in when the report carries no CreatedAt (old trivy versions).
 */
export function toVulnPredicate(doc: unknown, scannedAt: Date): CosignVulnPredicate | undefined {
  if (isVulnPredicate(doc)) return doc;
  if (!isTrivyReport(doc)) return undefined;
  const version = doc.Trivy?.Version ?? '';
  const when =
    doc.CreatedAt && !Number.isNaN(Date.parse(doc.CreatedAt)) ? doc.CreatedAt : scannedAt.toISOString();
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: version ? `pkg:github/aquasecurity/trivy@${version}` : 'pkg:github/aquasecurity/trivy',
      version,
      db: { uri: '', version: '' },
      result: doc,
    },
    metadata: { scanStartedOn: when, scanFinishedOn: when },
  };
}

/** The digests a trivy report says it scanned (`repo@sha256:…` in Metadata.RepoDigests). */
export function scannedDigests(predicate: CosignVulnPredicate): string[] {
  const report = predicate.scanner.result as TrivyReport | null;
  return (report?.Metadata?.RepoDigests ?? []).map(pinnedDigest).filter((d): d is string => Boolean(d));
}
