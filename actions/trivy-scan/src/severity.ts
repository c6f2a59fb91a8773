import { InputError, splitList } from '@kubeline/runtime';

/** trivy's severities, worst first. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Lower is worse; anything trivy did not classify sorts with UNKNOWN. */
export function severityRank(severity: string): number {
  const i = SEVERITIES.indexOf(severity as Severity);
  return i < 0 ? SEVERITIES.length - 1 : i;
}

/** `fail-on`: a list of severities (any case), or `none` for no severity gate. */
export function parseSeverityList(raw: string, inputName: string): Severity[] {
  const items = splitList(raw).map((s) => s.toUpperCase());
  if (items.length === 1 && items[0] === 'NONE') return [];
  const unknown = items.filter((s) => !isSeverity(s));
  if (unknown.length > 0)
    throw new InputError(inputName, raw.trim(), `allowed: ${SEVERITIES.join(', ')} (a list), or none`);
  return SEVERITIES.filter((s) => items.includes(s));
}

/**
 * How a set of gating severities reads in a message: "at or above HIGH" when it is every severity
 * from one up (the usual case), else the list itself.
 */
export function describeSeverities(severities: readonly Severity[]): string {
  const lowest = severities[severities.length - 1];
  if (!lowest) return 'none';
  const upTo = SEVERITIES.slice(0, SEVERITIES.indexOf(lowest) + 1);
  if (upTo.length === severities.length && lowest !== 'UNKNOWN') return `at or above ${lowest}`;
  return `of severity ${severities.join(' or ')}`;
}
