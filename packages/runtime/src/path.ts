import path from 'node:path';
import { github } from './github-commands.js';
import { detectPlatform } from './platform.js';

/** Puts a folder first on PATH for this process, and for later steps where the platform allows it. */
export function addToPath(dir: string): void {
  if (detectPlatform() === 'github') {
    github.addPath(dir);
    return;
  }
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`;
}
