// the one function, not semver's index: every action resolves a tool version on its start path
import rcompare from 'semver/functions/rcompare.js';
import { InputError } from '@kubeline/runtime';
import type { ToolEntry } from './manifest.js';

/**
 * `default`, an exact pinned version (`3.17.3` or `v3.17.3`), or a prefix (`4`, `4.1`) meaning the
 * newest pinned version under it. Nothing is resolved against the network: no surprise `latest`.
 */
export function resolveVersion(tool: string, requested: string, entry: ToolEntry, inputName = tool): string {
  const want = requested.trim().replace(/^v/, '');
  if (want === 'default') return entry.default;
  if (entry.versions[want]) return want;
  const pinned = pinnedVersions(entry);
  if (/^\d+(\.\d+)?$/.test(want)) {
    const match = pinned.find((v) => v === want || v.startsWith(`${want}.`));
    if (match) return match;
  }
  throw new InputError(
    inputName,
    requested,
    `allowed: default, ${pinned.join(', ')} or a major/minor prefix of one`,
  );
}

export function pinnedVersions(entry: ToolEntry): string[] {
  return Object.keys(entry.versions).sort(rcompare);
}
