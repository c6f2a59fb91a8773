// require-scan: the deploy goes ahead only on evidence that the very digest being deployed — and,
// for an index, every platform that will run — was scanned without a finding of the gating
// severities: trivy JSON reports of it, or the vuln attestation cosign-sign attached, verified with
// the signature's own key or identity. trivy-scan's `passed` output is no such evidence: it says
// nothing about which digest was scanned.
import fs from 'node:fs';
import { InputError, UserError, splitList } from '@kubeline/runtime';
import { pinnedDigest, type ImageContract } from '@kubeline/image';

export type ScanRequirement =
  | { kind: 'none' }
  | { kind: 'reports'; files: string[] }
  /** cosign-sign's `vuln` attestation on the image digest. */
  | { kind: 'attestation' };

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

const NO_EVIDENCE =
  "trivy-scan's passed output names no digest, so it is no evidence of what was scanned; give its json-report path (several for several platforms), or `attestation` (the vuln attestation cosign-sign attached, verified like the signature)";

export function parseScanRequirement(raw: string): ScanRequirement {
  const v = raw.trim();
  if (v === '') return { kind: 'none' };
  if (v === 'attestation') return { kind: 'attestation' };
  if (v === 'true' || v === 'false') throw new InputError('require-scan', v, NO_EVIDENCE);
  const files = splitList(v);
  for (const f of files)
    if (!fs.existsSync(f) || !fs.statSync(f).isFile())
      throw new InputError('require-scan', f, `no such report file; ${NO_EVIDENCE}`);
  return { kind: 'reports', files };
}

export function parseSeverities(list: string[]): string[] {
  const upper = list.map((s) => s.toUpperCase());
  for (const s of upper)
    if (!(SEVERITIES as readonly string[]).includes(s))
      throw new InputError('scan-fail-on', s, `allowed: ${SEVERITIES.join(', ')}`);
  return upper;
}

export interface TrivyReport {
  ArtifactName?: string;
  Metadata?: {
    RepoDigests?: string[];
    ImageConfig?: { os?: string; architecture?: string; variant?: string };
  };
  Results?: Array<{ Vulnerabilities?: Array<{ VulnerabilityID?: string; Severity?: string }> | null }>;
}

/** The digests a report is a scan of (the image's, an index's), from trivy's own metadata. */
function scannedDigests(report: TrivyReport): string[] {
  const refs = [...(report.Metadata?.RepoDigests ?? []), report.ArtifactName ?? ''];
  return refs.map(pinnedDigest).filter((d): d is string => Boolean(d));
}

/** The platform trivy scanned (for an index, the one it picked), from the image config. */
function scannedPlatform(report: TrivyReport): string | undefined {
  const c = report.Metadata?.ImageConfig;
  return c?.os && c.architecture ? [c.os, c.architecture, c.variant].filter(Boolean).join('/') : undefined;
}

/**
 * What must have been scanned: the image itself, or each platform of an index — a report covers a
 * platform when it names that platform's digest, or the index's digest with that platform scanned.
 */
function uncovered(contract: ImageContract, reports: TrivyReport[]): string[] {
  const covers = (r: TrivyReport, digest: string, platform?: string) => {
    const digests = scannedDigests(r);
    return (
      digests.includes(digest) ||
      (platform !== undefined && digests.includes(contract.digest) && scannedPlatform(r) === platform)
    );
  };
  if (contract.platforms.length <= 1) {
    const wanted = [contract.digest, ...contract.platforms.map((p) => p.digest)];
    return reports.some((r) => wanted.some((d) => covers(r, d))) ? [] : [contract.ref];
  }
  return contract.platforms
    .filter((p) => !reports.some((r) => covers(r, p.digest, p.platform)))
    .map((p) => `${p.platform} (${p.digest})`);
}

/** Returns a line for the log; throws a one-line UserError when the evidence does not suffice. */
export function checkScanEvidence(
  reports: Array<{ source: string; report: TrivyReport }>,
  contract: ImageContract,
  failOn: string[],
): string {
  const missing = uncovered(
    contract,
    reports.map((r) => r.report),
  );
  if (missing.length) {
    const scanned = [...new Set(reports.flatMap((r) => scannedDigests(r.report)))];
    const sources = reports.map((r) => r.source).join(', ');
    if (contract.platforms.length <= 1)
      throw new UserError(
        `require-scan: ${sources} is a scan of ${scanned[0] ?? reports[0]?.report.ArtifactName ?? 'an unknown image'}, not of ${contract.ref}`,
      );
    throw new UserError(
      `require-scan: no scan of ${missing.join(', ')} in ${sources} (scan each platform: trivy-scan per platform digest); nothing was deployed`,
    );
  }
  const failing = reports
    .flatMap((r) => r.report.Results ?? [])
    .flatMap((r) => r.Vulnerabilities ?? [])
    .filter((v) => failOn.includes((v.Severity ?? 'UNKNOWN').toUpperCase()));
  if (failing.length) {
    const ids = [...new Set(failing.map((v) => v.VulnerabilityID ?? '?'))];
    const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, … (${ids.length - 5} more)` : '');
    throw new UserError(
      `require-scan: the scan of ${contract.ref} has ${failing.length} finding(s) of severity ${failOn.join('/')}: ${shown}`,
    );
  }
  return `scan gate: ${reports.map((r) => r.source).join(', ')} scanned ${contract.digest} with no ${failOn.join('/')} finding`;
}

/** The trivy JSON reports given as files; an unreadable one is the user's to fix. */
export function readReports(files: string[]): Array<{ source: string; report: TrivyReport }> {
  return files.map((file) => {
    try {
      return { source: file, report: JSON.parse(fs.readFileSync(file, 'utf8')) as TrivyReport };
    } catch (e) {
      throw new UserError(`require-scan: ${file} is not a trivy JSON report (${(e as Error).message})`);
    }
  });
}

/** The report gate, for what a file can prove; the attestation gate runs in prepare (it needs cosign). */
export function checkScan(
  req: ScanRequirement,
  contract: ImageContract | undefined,
  failOn: string[],
): string {
  if (req.kind !== 'reports') return '';
  if (!contract)
    throw new InputError(
      'require-scan',
      req.files.join(','),
      'a scan report can only be checked against an `image`',
    );
  return checkScanEvidence(readReports(req.files), contract, failOn);
}
