// The planted-secret audit of the e2e suite: every action run's output and the files it leaves in
// its temp dir are recorded, and test/e2e/harness/audit-secrets.ts (the suite's global teardown)
// fails the suite if any planted secret appears in them. Tests plant what they pass as a secret;
// the stack's own credentials (registry password, ServiceAccount token, client key) are always in.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const AUDIT_ENV = 'KUBELINE_E2E_AUDIT';

const auditDir = () => process.env[AUDIT_ENV];

/** A value no log, output, summary or leftover file may ever contain. */
export function plantSecret(value: string): string {
  const dir = auditDir();
  if (dir && value) appendFileSync(path.join(dir, 'secrets.txt'), `${JSON.stringify(value)}\n`);
  return value;
}

// Where a run writes what outlives it: its temp dir and the GitHub command files.
const LEFT_BEHIND = ['RUNNER_TEMP', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV'];

/** Records one action run (called by runProcess for bundles). */
export function recordRun(label: string, env: NodeJS.ProcessEnv, stdout: string, stderr: string): void {
  const dir = auditDir();
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // unique across test files: jest gives each file a fresh copy of this module
  const name = `run-${randomUUID()}`;
  writeFileSync(path.join(dir, `${name}.log`), `${label}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n`);
  const paths = LEFT_BEHIND.map((k) => env[k]).filter((p): p is string => !!p);
  appendFileSync(path.join(dir, 'paths.txt'), paths.map((p) => `${JSON.stringify([name, p])}\n`).join(''));
}
