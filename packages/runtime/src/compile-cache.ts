// Node's compile cache keeps V8's compiled code for the bundle's chunks between runs on one machine
// (client-node alone takes ~60 ms to compile): a self-hosted runner, a developer's CLI, and the
// post-renderer and post step of a job all start faster. Its files become code, so the folder must
// be this user's own and closed to others; otherwise there is no cache, never a failed step.
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { toolCacheDir } from './platform.js';

export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KUBELINE_COMPILE_CACHE === 'off') return undefined;
  const dir = path.join(toolCacheDir(env), 'kubeline-compile-cache');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    const ours = stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
    if (!ours) return undefined;
    const { directory } = module.enableCompileCache(dir);
    return directory;
  } catch {
    return undefined;
  }
}
