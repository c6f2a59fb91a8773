import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './actions.js';

/** Bundles one action with ncc into `outDir` (minified, licenses collected, no source maps). */
export function bundleAction(name: string, outDir: string): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc');
  const entry = path.join(ROOT, 'actions', name, 'src', 'main.ts');
  const res = spawnSync(ncc, ['build', entry, '-o', outDir, '-m', '-q', '--license', 'licenses.txt', '--target', 'es2023'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`ncc failed for ${name}:\n${res.stdout}${res.stderr}`);
}

/** Every file under a folder, relative path → bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), fs.readFileSync(full));
  }
  return out;
}
