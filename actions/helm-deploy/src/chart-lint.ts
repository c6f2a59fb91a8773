// `helm lint --strict` with the deploy's own values, as a gate: a warning stops the deploy.
import { UserError } from '@kubeline/runtime';
import { helmErrorLine, type Helm, type HelmTarget } from '@kubeline/helm';

/** Lint findings, one line each: Helm 4 continues a finding on indented lines, Helm 3 does not. */
export function lintFindings(output: string): string[] {
  const findings: string[] = [];
  for (const line of output.split('\n')) {
    if (/^\[(ERROR|WARNING)\]/.test(line)) findings.push(line.trim());
    else if (/^\s+\S/.test(line) && findings.length) findings[findings.length - 1] += ` ${line.trim()}`;
  }
  return findings;
}

/** `helm lint --strict` with the deploy's own values: a warning stops the deploy. */
export async function lint(helm: Helm, chart: string, values: string[], target: HelmTarget): Promise<void> {
  const r = await helm.run(['lint', '--strict', chart, ...values, '--namespace', target.namespace], {
    silent: true,
    allowFailure: true,
  });
  if (r.code === 0) return;
  const findings = lintFindings(`${r.stdout}\n${r.stderr}`);
  throw new UserError(
    `helm lint --strict failed: ${findings[0] ?? helmErrorLine(r.stderr)}`,
    findings.slice(1),
  );
}
