// npm run build [action ...]: regenerates action.yml-derived files, then bundles each action's dist/.
import path from 'node:path';
import { ROOT, actionNames } from './actions.js';
import { bundleAction } from './bundle.js';
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const gen = spawnSync(
  process.execPath,
  [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'gen.ts')],
  {
    stdio: 'inherit',
  },
);
if (gen.status !== 0) process.exit(1);
for (const name of actionNames().filter((n) => only.length === 0 || only.includes(n))) {
  const started = Date.now();
  await bundleAction(name, path.join(ROOT, 'actions', name, 'dist'));
  console.log(`built actions/${name}/dist in ${Date.now() - started} ms`);
}
