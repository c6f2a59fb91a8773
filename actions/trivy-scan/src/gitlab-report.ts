// trivy JSON → GitLab's container scanning report (security report schema 15). trivy's own
// gitlab.tpl writes schema 14 without the `scan` object that schema 15 requires, so we convert here.
import type { TrivyReport, TrivyVulnerability } from './trivy-report.js';

export const GITLAB_SCHEMA_VERSION = '15.0.7';

const GITLAB_SEVERITY: Record<string, string> = {
  CRITICAL: 'Critical',
  HIGH: 'High',
  MEDIUM: 'Medium',
  LOW: 'Low',
  UNKNOWN: 'Unknown',
};

export interface GitLabReportContext {
  /** What was scanned, as GitLab shows it: `name@digest` for a registry image. */
  image: string;
  trivyVersion: string;
  kubelineVersion: string;
  startedAt: Date;
  finishedAt: Date;
}

/** GitLab wants `YYYY-MM-DDTHH:MM:SS` in UTC, without fractions or zone. */
const gitlabTime = (d: Date) => d.toISOString().slice(0, 19);

/** A stable id per (image, package, version, vulnerability), shaped as a UUID as GitLab recommends. */
function stableId(...parts: string[]): string {
  const h = process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(parts.join('\0'))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function identifierType(id: string): string {
  const prefix = /^([A-Za-z]+)-/.exec(id)?.[1];
  return prefix ? prefix.toLowerCase() : 'trivy';
}

const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\/\S+$/.test(s);

function vulnerability(v: TrivyVulnerability, image: string, os: string) {
  const links = [...new Set([v.PrimaryURL, ...(v.References ?? [])].filter(isUrl))].map((url) => ({ url }));
  return {
    id: stableId(image, v.PkgName, v.InstalledVersion ?? '', v.VulnerabilityID),
    name: (v.Title || v.VulnerabilityID).slice(0, 255),
    description: (v.Description ?? '').slice(0, 1_048_576),
    severity: GITLAB_SEVERITY[v.Severity] ?? 'Unknown',
    solution: v.FixedVersion ? `Upgrade ${v.PkgName} to ${v.FixedVersion}` : 'No solution provided',
    identifiers: [
      {
        type: identifierType(v.VulnerabilityID),
        name: v.VulnerabilityID,
        value: v.VulnerabilityID,
        ...(isUrl(v.PrimaryURL) ? { url: v.PrimaryURL } : {}),
      },
    ],
    links,
    location: {
      dependency: { package: { name: v.PkgName }, version: v.InstalledVersion ?? '' },
      operating_system: os,
      image,
    },
  };
}

export function toGitLabContainerScanning(report: TrivyReport, ctx: GitLabReportContext) {
  const osInfo = report.Metadata?.OS;
  const os = osInfo?.Family ? `${osInfo.Family} ${osInfo.Name ?? ''}`.trim() : 'Unknown';
  const tool = (id: string, name: string, version: string, vendor: string, url?: string) => ({
    id,
    name,
    version,
    vendor: { name: vendor },
    ...(url ? { url } : {}),
  });
  return {
    version: GITLAB_SCHEMA_VERSION,
    scan: {
      analyzer: tool('kubeline-trivy-scan', 'kubeline trivy-scan', ctx.kubelineVersion, 'kubeline'),
      scanner: tool(
        'trivy',
        'Trivy',
        ctx.trivyVersion,
        'Aqua Security',
        'https://github.com/aquasecurity/trivy',
      ),
      start_time: gitlabTime(ctx.startedAt),
      end_time: gitlabTime(ctx.finishedAt),
      status: 'success',
      type: 'container_scanning',
    },
    vulnerabilities: (report.Results ?? []).flatMap((r) =>
      (r.Vulnerabilities ?? []).map((v) => vulnerability(v, ctx.image, os)),
    ),
    remediations: [],
  };
}
