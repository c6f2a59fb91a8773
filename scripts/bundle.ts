import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { minify } from 'terser';
import { ROOT } from './actions.js';

/** Bundles one action with ncc into `outDir` (minified, licenses collected, no source maps). */
export async function bundleAction(name: string, outDir: string): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc');
  const entry = path.join(ROOT, 'actions', name, 'src', 'main.ts');
  const res = spawnSync(
    ncc,
    ['build', entry, '-o', outDir, '-m', '-q', '--license', 'licenses.txt', '--target', 'es2023'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (res.status !== 0) throw new Error(`ncc failed for ${name}:\n${res.stdout}${res.stderr}`);
  // ncc minifies the entry only; lazily loaded chunks (heavy libraries kept off the start path) too.
  for (const file of fs.readdirSync(outDir).filter((f) => f.endsWith('.js') && f !== 'index.js')) {
    const full = path.join(outDir, file);
    const out = await minify(fs.readFileSync(full, 'utf8'), {
      module: true,
      ecma: 2020,
      compress: true,
      mangle: true,
    });
    if (!out.code) throw new Error(`terser produced nothing for ${full}`);
    fs.writeFileSync(full, out.code);
  }
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
