import { formatDuration, type Summary } from '@kubeline/runtime';
import { formatReference, type ImageContract } from '@kubeline/image';
import { describeCacheUse, type CacheUse } from './cache-use.js';
import type { TaggedRef } from './targets.js';

export interface BuildReport {
  contract: ImageContract;
  targets: TaggedRef[];
  builder: string;
  imageId: string;
  size?: { bytes: number; note?: string };
  buildMs: number;
  totalMs: number;
  cache: CacheUse;
  movedTags: string[];
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** The step summary: what was pushed, by digest, and what the build cost. */
export function writeSummary(summary: Summary, r: BuildReport): void {
  const c = r.contract;
  const rows: string[][] = [
    ['image', `\`${c.ref}\``],
    ['digest', `\`${c.digest}\`${c.pushed ? ' (as the registry serves it)' : ' (not pushed)'}`],
    ['tags', r.targets.map((t) => `\`${formatReference(t)}\``).join('<br>')],
    ['platforms', c.platforms.map((p) => `${p.platform}: \`${p.digest}\``).join('<br>') || 'unknown'],
    ['size', r.size ? `${formatBytes(r.size.bytes)}${r.size.note ? ` (${r.size.note})` : ''}` : 'unknown'],
    ['duration', `build ${formatDuration(r.buildMs)}, total ${formatDuration(r.totalMs)}`],
    ['cache', describeCacheUse(r.cache)],
    ['builder', r.builder],
    ['image ID', `\`${r.imageId}\``],
  ];
  if (r.movedTags.length) rows.push(['moved tags', r.movedTags.join('<br>')]);
  summary.heading('kubeline build-image').table(['', ''], rows);
}
