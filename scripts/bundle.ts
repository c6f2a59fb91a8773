import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { minify } from 'terser';
import { ROOT, actionNames } from './actions.js';

/** The bundles kept in the repository: each action's dist/, and the CLI's bin/dist/. */
export function bundles(): Array<{ name: string; entry: string; dist: string }> {
  return [
    ...actionNames().map((name) => ({
      name,
      entry: path.join(ROOT, 'actions', name, 'src', 'main.ts'),
      dist: path.join(ROOT, 'actions', name, 'dist'),
    })),
    { name: 'cli', entry: path.join(ROOT, 'bin', 'cli.ts'), dist: path.join(ROOT, 'bin', 'dist') },
  ];
}

/** Bundles one entry with ncc into `outDir` (minified, licenses collected, no source maps). */
export async function bundleEntry(name: string, entry: string, outDir: string): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc');
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
