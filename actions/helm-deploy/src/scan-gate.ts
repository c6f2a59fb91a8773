// require-scan: the deploy goes ahead only on a passed trivy result for the digest being deployed.
import fs from 'node:fs';
import { InputError, UserError } from '@kubeline/runtime';
import { pinnedDigest, type ImageContract } from '@kubeline/image';

export type ScanRequirement =
  { kind: 'none' } | { kind: 'passed'; passed: boolean } | { kind: 'report'; file: string };

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

export function parseScanRequirement(raw: string): ScanRequirement {
  const v = raw.trim();
  if (v === '') return { kind: 'none' };
  if (v === 'true' || v === 'false') return { kind: 'passed', passed: v === 'true' };
  if (!fs.existsSync(v))
    throw new InputError(
      'require-scan',
      v,
      "give trivy-scan's json-report path or its passed output (true/false)",
    );
  return { kind: 'report', file: v };
}

export function parseSeverities(list: string[]): string[] {
  const upper = list.map((s) => s.toUpperCase());
  for (const s of upper)
    if (!(SEVERITIES as readonly string[]).includes(s))
      throw new InputError('scan-fail-on', s, `allowed: ${SEVERITIES.join(', ')}`);
  return upper;
}

interface TrivyReport {
  ArtifactName?: string;
  Metadata?: { RepoDigests?: string[] };
  Results?: Array<{ Vulnerabilities?: Array<{ VulnerabilityID?: string; Severity?: string }> | null }>;
}

/** The digests this contract may be scanned as: the image, or one of its platform manifests. */
function digestsOf(contract: ImageContract): Set<string> {
  return new Set([contract.digest, ...contract.platforms.map((p) => p.digest)]);
}

function scannedDigests(report: TrivyReport): string[] {
  const refs = [...(report.Metadata?.RepoDigests ?? []), report.ArtifactName ?? ''];
  return refs.map(pinnedDigest).filter((d): d is string => Boolean(d));
}

/** Returns a line for the log; throws a one-line UserError when the gate refuses. */
export function checkScan(
  req: ScanRequirement,
  contract: ImageContract | undefined,
  failOn: string[],
): string {
  if (req.kind === 'none') return '';
  if (req.kind === 'passed') {
    if (!req.passed) throw new UserError('require-scan: the image scan did not pass (require-scan is false)');
    return 'scan gate: trivy-scan reported passed';
  }
  if (!contract)
    throw new InputError('require-scan', req.file, 'a scan report can only be checked against an `image`');
  let report: TrivyReport;
  try {
    report = JSON.parse(fs.readFileSync(req.file, 'utf8')) as TrivyReport;
  } catch (e) {
    throw new UserError(`require-scan: ${req.file} is not a trivy JSON report (${(e as Error).message})`);
  }
  const scanned = scannedDigests(report);
  const wanted = digestsOf(contract);
  if (!scanned.some((d) => wanted.has(d)))
    throw new UserError(
      `require-scan: ${req.file} is a scan of ${scanned[0] ?? report.ArtifactName ?? 'an unknown image'}, not of ${contract.ref}`,
    );
  const failing = (report.Results ?? [])
    .flatMap((r) => r.Vulnerabilities ?? [])
    .filter((v) => failOn.includes((v.Severity ?? 'UNKNOWN').toUpperCase()));
  if (failing.length) {
    const ids = [...new Set(failing.map((v) => v.VulnerabilityID ?? '?'))];
    const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, … (${ids.length - 5} more)` : '');
    throw new UserError(
      `require-scan: the scan of ${contract.ref} has ${failing.length} finding(s) of severity ${failOn.join('/')}: ${shown}`,
    );
  }
  return `scan gate: ${req.file} scanned ${contract.digest} with no ${failOn.join('/')} finding`;
}
