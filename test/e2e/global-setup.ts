// jest global set-up of the e2e project. jest loads this file without the project's module
// mapping, so it imports nothing relative: the work is in harness/prepare-stack.ts, run by tsx.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export default function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/e2e/harness/prepare-stack.ts'], {
    cwd: projectConfig.rootDir,
    stdio: 'inherit',
  });
  if (result.status !== 0)
    throw new Error(`e2e: preparing the stack failed (exit ${result.status}, output above)`);
  // the planted-secret audit (test/support/secret-audit.ts): workers inherit this variable
  const audit = join(projectConfig.rootDir, '.stack', 'audit');
  rmSync(audit, { recursive: true, force: true });
  mkdirSync(audit, { recursive: true });
  process.env.KUBELINE_E2E_AUDIT = audit;
}
