// Rebuilds every action into a temp dir and fails when the committed dist/ differs by one byte.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, actionNames } from './actions.js';
import { bundleAction, readTree } from './bundle.js';

export async function distDifferences(name: string): Promise<string[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kubeline-dist-${name}-`));
  try {
    await bundleAction(name, tmp);
    const want = readTree(tmp);
    const have = readTree(path.join(ROOT, 'actions', name, 'dist'));
    const diffs: string[] = [];
    for (const [file, bytes] of want) {
      const cur = have.get(file);
      if (!cur) diffs.push(`actions/${name}/dist/${file} is missing`);
      else if (!cur.equals(bytes)) diffs.push(`actions/${name}/dist/${file} differs from a rebuild`);
    }
    for (const file of have.keys())
      if (!want.has(file)) diffs.push(`actions/${name}/dist/${file} is not produced by a rebuild`);
    return diffs;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const diffs: string[] = [];
  for (const name of actionNames()) diffs.push(...(await distDifferences(name)));
  for (const d of diffs) console.error(d);
  if (diffs.length) console.error('dist/ is stale: run `npm run build` and commit the result.');
  else console.log(`dist/ of ${actionNames().length} action(s) matches a rebuild`);
  process.exit(diffs.length ? 1 : 0);
}
