// Mounts a daemon leaves under its state directory (dockerd keeps its netns/default nsfs mount
// after exit): unmounted on stack:down so .stack/ can be deleted.
import { readFileSync } from 'node:fs';
import { runCommand } from './command.js';

export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && point.startsWith(prefix))
    .sort((a, b) => b.length - a.length); // deepest first
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) await runCommand(['umount', point]);
}
