// npm run build [action ...]: regenerates action.yml-derived files, then bundles each action's dist/.
import path from 'node:path';
import { ROOT } from './actions.js';
import { bundleEntry, bundles, eachBundle } from './bundle.js';
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
await eachBundle(
  bundles().filter((x) => only.length === 0 || only.includes(x.name)),
  async (b) => {
    const started = Date.now();
    await bundleEntry(b.name, b.entry, b.dist);
    console.log(`built ${path.relative(ROOT, b.dist)} in ${Date.now() - started} ms`);
  },
);
