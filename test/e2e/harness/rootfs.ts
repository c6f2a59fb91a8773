// Image roots assembled from this machine's files, for images nothing can be pulled for (the job
// image's Node base, a BuildKit image for buildx's docker-container driver).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The shared libraries a dynamically linked binary loads, loader included, as ldd resolves them. */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // "not a dynamic executable": a static binary loads none
  }
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

/** Copies `source` to `target` under `root` (an executable), and every library it loads beside. */
export function copyBinaryWithLibraries(root: string, target: string, source: string): void {
  copyExecutable(root, target, source);
  // copyFileSync follows symlinks: the real library lands at the path the loader asks for
  for (const lib of sharedLibraries(source)) copyExecutable(root, lib, lib);
}

function copyExecutable(root: string, target: string, source: string): void {
  const dest = join(root, target);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(source, dest);
  chmodSync(dest, 0o755);
}
