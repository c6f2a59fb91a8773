import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@kubeline/runtime';
import { worstFirst } from './gate.js';
import type { Finding } from './trivy-report.js';

/** GitHub shows only the first few annotations of a step; past this, the summary has the rest. */
const MAX_ANNOTATIONS = 50;

const locatedInFile = (f: Finding) => f.kind !== 'vulnerability';

/**
 * trivy names misconfigured files and files with secrets relative to the scanned folder; annotations
 * and the summary want them relative to the workspace.
 */
export function relativeToWorkspace(findings: Finding[], scanned: string, workspace: string): Finding[] {
  const scanRoot = fs.statSync(scanned, { throwIfNoEntry: false })?.isDirectory()
    ? scanned
    : path.dirname(scanned);
  return findings.map((f) =>
    locatedInFile(f)
      ? { ...f, target: path.relative(workspace, path.resolve(scanRoot, f.target)) || f.target }
      : f,
  );
}

/** Misconfigurations and secrets in the scanned files become warnings at file:line. */
export function annotateFindings(log: Logger, findings: readonly Finding[]): void {
  const located = findings.filter(locatedInFile).sort(worstFirst);
  for (const f of located.slice(0, MAX_ANNOTATIONS))
    log.warning(`${f.id} (${f.severity}): ${f.title}`, { file: f.target, line: f.line });
  if (located.length > MAX_ANNOTATIONS)
    log.info(`${located.length - MAX_ANNOTATIONS} more findings are in the summary and the reports`);
}
