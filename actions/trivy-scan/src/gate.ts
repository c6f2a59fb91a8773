// The pass/fail decision, computed from the findings rather than trivy's exit code: reports keep
// everything, and only the chosen subset fails the step.
import { SEVERITIES, describeSeverities, severityRank, type Severity } from './severity.js';
import type { Finding } from './trivy-report.js';

export interface GatePolicy {
  failOn: Severity[];
  /** Fail on a vulnerability whose highest CVSS v3 score is at or above this. */
  failOnCvss?: number;
}

export interface GateResult {
  passed: boolean;
  failing: Finding[];
  /** One line for the log and the error; empty when the gate passed. */
  message: string;
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of findings) counts[SEVERITIES[severityRank(f.severity)]!]++;
  return counts;
}

export function isGating(f: Finding, policy: GatePolicy): boolean {
  if ((policy.failOn as string[]).includes(f.severity)) return true;
  return policy.failOnCvss !== undefined && f.cvss !== undefined && f.cvss >= policy.failOnCvss;
}

/** Worst first: severity, then CVSS, then id, so the same report always lists the same way. */
export function worstFirst(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (b.cvss ?? -1) - (a.cvss ?? -1) ||
    a.id.localeCompare(b.id)
  );
}

export function describePolicy(policy: GatePolicy): string {
  const parts = [];
  if (policy.failOn.length) parts.push(describeSeverities(policy.failOn));
  if (policy.failOnCvss !== undefined) parts.push(`with CVSS v3 ≥ ${policy.failOnCvss.toFixed(1)}`);
  return parts.join(' or ') || 'nothing (no gate)';
}

const LISTED_IDS = 10;

export function evaluateGate(findings: readonly Finding[], policy: GatePolicy): GateResult {
  const failing = findings.filter((f) => isGating(f, policy)).sort(worstFirst);
  if (failing.length === 0) return { passed: true, failing, message: '' };
  const ids = [...new Set(failing.map((f) => f.id))];
  const shown =
    ids.slice(0, LISTED_IDS).join(', ') +
    (ids.length > LISTED_IDS ? `, … (${ids.length - LISTED_IDS} more)` : '');
  const noun = failing.length === 1 ? 'finding' : 'findings';
  return { passed: false, failing, message: `${failing.length} ${noun} ${describePolicy(policy)}: ${shown}` };
}
