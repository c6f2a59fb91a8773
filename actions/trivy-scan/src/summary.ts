import { Summary } from '@kubeline/runtime';
import {
  describePolicy,
  isGating,
  worstFirst,
  type GatePolicy,
  type GateResult,
  type SeverityCounts,
} from './gate.js';
import { SEVERITIES } from './severity.js';
import type { Finding } from './trivy-report.js';

const WORST_SHOWN = 10;

export interface ScanOutcome {
  /** What was scanned, as the user should recognise it (`name@digest`, a path). */
  subject: string;
  scanType: string;
  findings: Finding[];
  counts: SeverityCounts;
  policy: GatePolicy;
  gate: GateResult;
  reports: Record<string, string>;
}

const FINDING_HEADER = ['id', 'package / file', 'installed', 'fixed', 'severity', 'CVSS', 'title'];

function findingRow(f: Finding): string[] {
  const where = f.kind === 'vulnerability' ? (f.pkg ?? '') : `${f.target}${f.line ? `:${f.line}` : ''}`;
  return [
    f.id,
    where,
    f.installed ?? '',
    f.fixed || (f.kind === 'vulnerability' ? 'no fix yet' : ''),
    f.severity,
    f.cvss !== undefined ? f.cvss.toFixed(1) : '',
    f.title,
  ];
}

export function writeScanSummary(summary: Summary, o: ScanOutcome): void {
  const verdict = o.gate.passed ? '✅ passed' : `❌ failed: ${o.gate.message}`;
  summary
    .heading('kubeline trivy-scan')
    .text(
      `\`${o.subject}\` (${o.scanType}) — ${verdict}\n\nGate: fail on findings ${describePolicy(o.policy)}.`,
    )
    .table(
      ['severity', 'findings', 'fails the gate'],
      SEVERITIES.map((s) => [s, String(o.counts[s]), (o.policy.failOn as string[]).includes(s) ? 'yes' : '']),
    );
  const sorted = [...o.findings].sort(worstFirst);
  if (sorted.length) {
    summary
      .heading(`Worst findings (${Math.min(WORST_SHOWN, sorted.length)} of ${sorted.length})`, 3)
      .table(FINDING_HEADER, sorted.slice(0, WORST_SHOWN).map(findingRow));
    if (sorted.length > WORST_SHOWN) {
      const all = new Summary().table(
        [...FINDING_HEADER, 'gate'],
        sorted.map((f) => [...findingRow(f), isGating(f, o.policy) ? 'fails' : '']),
      );
      summary.details(`All ${sorted.length} findings`, all.toString().trim());
    }
  }
  summary.table(
    ['report', 'path'],
    Object.entries(o.reports).map(([k, v]) => [k, v]),
  );
}
