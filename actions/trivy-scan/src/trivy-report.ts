// The parts of trivy's JSON report (SchemaVersion 2) kubeline reads, and the flat list of findings
// the gate, the counts and the summary work from.

export interface TrivyVulnerability {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion?: string;
  FixedVersion?: string;
  Status?: string;
  Severity: string;
  Title?: string;
  Description?: string;
  PrimaryURL?: string;
  References?: string[];
  CVSS?: Record<string, { V3Score?: number; V3Vector?: string }>;
}

export interface TrivyMisconfiguration {
  ID: string;
  AVDID?: string;
  Title?: string;
  Message?: string;
  Resolution?: string;
  Severity: string;
  Status?: string;
  PrimaryURL?: string;
  CauseMetadata?: { StartLine?: number; EndLine?: number };
}

export interface TrivySecret {
  RuleID: string;
  Title?: string;
  Severity: string;
  StartLine?: number;
}

export interface TrivyResult {
  Target: string;
  Class?: string;
  Type?: string;
  Vulnerabilities?: TrivyVulnerability[] | null;
  Misconfigurations?: TrivyMisconfiguration[] | null;
  Secrets?: TrivySecret[] | null;
}

export interface TrivyReport {
  SchemaVersion?: number;
  CreatedAt?: string;
  ArtifactName?: string;
  ArtifactType?: string;
  Metadata?: {
    OS?: { Family?: string; Name?: string };
    ImageID?: string;
    RepoDigests?: string[];
  };
  Results?: TrivyResult[] | null;
}

export type FindingKind = 'vulnerability' | 'misconfiguration' | 'secret';

export interface Finding {
  kind: FindingKind;
  id: string;
  severity: string;
  title: string;
  /** trivy's target: the image and OS, a lockfile, or a config file relative to the scanned path. */
  target: string;
  pkg?: string;
  installed?: string;
  fixed?: string;
  /** Highest CVSS v3 score any source gives. */
  cvss?: number;
  line?: number;
}

/** The highest CVSS v3 base score over every source (nvd, ghsa, vendors). */
export function maxCvssV3(v: Pick<TrivyVulnerability, 'CVSS'>): number | undefined {
  const scores = Object.values(v.CVSS ?? {})
    .map((s) => s.V3Score)
    .filter((s): s is number => typeof s === 'number');
  return scores.length ? Math.max(...scores) : undefined;
}

/** Every finding of the report; misconfigurations that passed are not findings. */
export function collectFindings(report: TrivyReport): Finding[] {
  const out: Finding[] = [];
  for (const r of report.Results ?? []) {
    for (const v of r.Vulnerabilities ?? [])
      out.push({
        kind: 'vulnerability',
        id: v.VulnerabilityID,
        severity: v.Severity,
        title: v.Title ?? '',
        target: r.Target,
        pkg: v.PkgName,
        installed: v.InstalledVersion ?? '',
        fixed: v.FixedVersion ?? '',
        cvss: maxCvssV3(v),
      });
    for (const m of r.Misconfigurations ?? []) {
      if (m.Status && m.Status !== 'FAIL') continue;
      out.push({
        kind: 'misconfiguration',
        id: m.ID,
        severity: m.Severity,
        title: m.Message || m.Title || '',
        target: r.Target,
        line: m.CauseMetadata?.StartLine || undefined,
      });
    }
    for (const s of r.Secrets ?? [])
      out.push({
        kind: 'secret',
        id: s.RuleID,
        severity: s.Severity,
        title: s.Title ?? '',
        target: r.Target,
        line: s.StartLine || undefined,
      });
  }
  return out;
}
