// jest global teardown of the e2e project: the planted-secret audit (test/e2e/harness/audit-secrets.ts,
// run by tsx, since jest loads this file without the project's module mapping).
import { spawnSync } from 'node:child_process';

export default function globalTeardown(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/e2e/harness/audit-secrets.ts'], {
    cwd: projectConfig.rootDir,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('e2e: a planted secret leaked (details above)');
}
