// Every report is converted from the one JSON result: `trivy convert` for SARIF and CycloneDX, our own
// converter for GitLab. No second scan, so all reports describe exactly the same findings.
import fs from 'node:fs';
import path from 'node:path';
import { exec } from '@kubeline/runtime';
import { toGitLabContainerScanning, type GitLabReportContext } from './gitlab-report.js';
import type { TrivyReport } from './trivy-report.js';

export const FORMATS = ['json', 'sarif', 'cyclonedx', 'gitlab'] as const;
export type Format = (typeof FORMATS)[number];

/** File names GitLab and code-scanning uploaders recognise. */
export const REPORT_FILES: Record<Format, string> = {
  json: 'trivy-report.json',
  sarif: 'trivy-report.sarif',
  cyclonedx: 'trivy-report.cdx.json',
  gitlab: 'gl-container-scanning-report.json',
};

export interface ConvertRequest {
  trivy: string;
  formats: readonly Format[];
  outputDir: string;
  jsonFile: string;
  report: TrivyReport;
  /** trivy convert re-applies an ignore file; give it the scan's so it drops nothing more. */
  ignoreFile?: string;
  gitlab: GitLabReportContext;
}

async function trivyConvert(req: ConvertRequest, format: 'sarif' | 'cyclonedx', file: string): Promise<void> {
  const args = ['convert', '--format', format, '--output', file];
  if (req.ignoreFile) args.push('--ignorefile', req.ignoreFile);
  await exec(req.trivy, [...args, req.jsonFile], { silent: true });
}

/** Writes each requested report beside the JSON and returns its path by format. */
export async function writeReports(req: ConvertRequest): Promise<Partial<Record<Format, string>>> {
  const paths: Partial<Record<Format, string>> = { json: req.jsonFile };
  const jobs: Array<Promise<void>> = [];
  for (const format of req.formats) {
    if (format === 'json') continue;
    const file = path.join(req.outputDir, REPORT_FILES[format]);
    paths[format] = file;
    if (format === 'gitlab') {
      const doc = toGitLabContainerScanning(req.report, req.gitlab);
      jobs.push(fs.promises.writeFile(file, JSON.stringify(doc, null, 2) + '\n'));
    } else {
      jobs.push(trivyConvert(req, format, file));
    }
  }
  await Promise.all(jobs);
  return paths;
}
