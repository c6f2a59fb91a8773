import fs from 'node:fs';
import { exec } from '@kubeline/runtime';
import { scanArgs, type ScanPlan } from './trivy-args.js';
import type { TrivyReport } from './trivy-report.js';

/** The one trivy run: its JSON report is what every other report, count and verdict comes from. */
export async function runScan(trivy: string, plan: ScanPlan, dockerConfig?: string): Promise<TrivyReport> {
  const env = dockerConfig ? { DOCKER_CONFIG: dockerConfig } : undefined;
  // trivy's own --timeout bounds the scan; ours only catches a trivy that hangs past it.
  await exec(trivy, scanArgs(plan), { env, timeoutMs: plan.timeoutMs + 30_000 });
  return JSON.parse(fs.readFileSync(plan.output, 'utf8')) as TrivyReport;
}
