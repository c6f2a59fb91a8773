// Rebuilds every action into a temp dir and fails when the committed dist/ differs by one byte.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './actions.js';
import { bundleEntry, bundles, eachBundle, readTree } from './bundle.js';

export async function distDifferences(b: { name: string; entry: string; dist: string }): Promise<string[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kubeline-dist-${b.name}-`));
  const where = path.relative(ROOT, b.dist);
  try {
    await bundleEntry(b.name, b.entry, tmp);
    const want = readTree(tmp);
    const have = readTree(b.dist);
    const diffs: string[] = [];
    for (const [file, bytes] of want) {
      const cur = have.get(file);
      if (!cur) diffs.push(`${where}/${file} is missing`);
      else if (!cur.equals(bytes)) diffs.push(`${where}/${file} differs from a rebuild`);
    }
    for (const file of have.keys())
      if (!want.has(file)) diffs.push(`${where}/${file} is not produced by a rebuild`);
    return diffs;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const diffs = (await eachBundle(bundles(), distDifferences)).flat();
  for (const d of diffs) console.error(d);
  if (diffs.length) console.error('dist/ is stale: run `npm run build` and commit the result.');
  else console.log(`dist/ of ${bundles().length} bundle(s) matches a rebuild`);
  process.exit(diffs.length ? 1 : 0);
}
