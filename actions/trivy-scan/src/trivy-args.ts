// The argv of the one trivy scan. Every flag that could reach the network is set here, so trivy talks
// to nothing but the registries it was given: no version check, no telemetry, no check-bundle or Java
// DB download unless asked, no dependency lookups, and the vulnerability DB only from our cache.

export const SCAN_TYPES = ['image', 'fs', 'config', 'sbom'] as const;
export type ScanType = (typeof SCAN_TYPES)[number];

export type ScanTarget =
  { kind: 'registry'; ref: string } | { kind: 'tarball'; path: string } | { kind: 'path'; path: string };

export interface ScanPlan {
  scanType: ScanType;
  target: ScanTarget;
  cacheDir: string;
  /** Where trivy writes its JSON report. */
  output: string;
  dbRepositories: string[];
  javaDbRepositories: string[];
  scanners: string[];
  ignoreUnfixed: boolean;
  ignoreFile?: string;
  caFile?: string;
  timeoutMs: number;
  /** Folders under a scanned path that are ours, not the project's (the DB cache kept in the project on GitLab). */
  skipDirs?: string[];
}

/** Only `config` works without the vulnerability DB, and so does a scan that leaves out `vuln`. */
export function needsVulnDb(scanType: ScanType, scanners: readonly string[]): boolean {
  return scanType !== 'config' && (scanners.length === 0 || scanners.includes('vuln'));
}

/** Flags every trivy subcommand we run takes. */
export function quietFlags(caFile?: string): string[] {
  return ['--skip-version-check', '--disable-telemetry', ...(caFile ? ['--cacert', caFile] : [])];
}

export function scanArgs(plan: ScanPlan): string[] {
  const args = [plan.scanType, '--cache-dir', plan.cacheDir, '--format', 'json', '--output', plan.output];
  args.push(...quietFlags(plan.caFile), '--timeout', `${Math.ceil(plan.timeoutMs / 1000)}s`);
  if (plan.scanType !== 'sbom') args.push('--skip-check-update');
  if (plan.scanType !== 'config') {
    args.push('--no-progress', '--offline-scan', '--skip-db-update');
    for (const repo of plan.dbRepositories) args.push('--db-repository', repo);
    if (plan.javaDbRepositories.length)
      for (const repo of plan.javaDbRepositories) args.push('--java-db-repository', repo);
    else args.push('--skip-java-db-update');
    if (plan.scanners.length) args.push('--scanners', plan.scanners.join(','));
    if (plan.ignoreUnfixed) args.push('--ignore-unfixed');
  }
  if (plan.ignoreFile) args.push('--ignorefile', plan.ignoreFile);
  for (const dir of plan.skipDirs ?? []) args.push('--skip-dirs', dir);
  const t = plan.target;
  if (t.kind === 'registry') args.push('--image-src', 'remote', t.ref);
  else if (t.kind === 'tarball') args.push('--input', t.path);
  else args.push(t.path);
  return args;
}
