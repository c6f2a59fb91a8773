// The tools tests run (.stack/bin): installed from the local mirror, as kubeline's users get them.
import { accessSync, constants, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRunnerDirs } from '@kubeline/runtime';
import { installTool, loadManifest } from '@kubeline/tools';
import { urls } from './addresses.js';
import type { Step } from './component.js';
import { manifestPath } from './mirror.js';
import { cacheDir, paths } from './paths.js';

/** .stack/bin name → tool and version in the mirror manifest ('default' = the manifest's default). */
export const stackTools: Record<string, { tool: string; version: string }> = {
  kubectl: { tool: 'kubectl', version: 'default' },
  helm3: { tool: 'helm', version: '3.17.3' },
  helm4: { tool: 'helm', version: '4.1.4' },
  trivy: { tool: 'trivy', version: 'default' },
  cosign: { tool: 'cosign', version: 'default' },
  cosign2: { tool: 'cosign', version: '2.6.5' },
  'docker-buildx': { tool: 'buildx', version: 'default' },
};

/**
 * Installs one tool with kubeline's own installer from the mirror: the same download, sha256 check,
 * extraction and tool cache that users' runners go through.
 */
async function installFromMirror(tool: string, version: string): Promise<string> {
  process.env.RUNNER_TOOL_CACHE ??= join(cacheDir, 'tool-cache');
  prepareRunnerDirs();
  const installed = await installTool({
    tool,
    version,
    manifest: loadManifest(manifestPath),
    mirror: urls.mirror,
    reusePath: false,
  });
  return installed.path;
}

/** Points .stack/bin/<name> at an installed binary (idempotent). */
export function linkInto(name: string, target: string): void {
  const link = join(paths.bin, name);
  try {
    if (readlinkSync(link) === target) return;
  } catch {
    // no link yet
  }
  rmSync(link, { force: true });
  symlinkSync(target, link);
}

export async function installStackTools(): Promise<void> {
  mkdirSync(paths.bin, { recursive: true });
  for (const [name, { tool, version }] of Object.entries(stackTools)) {
    linkInto(name, await installFromMirror(tool, version));
  }
}

export const tools: Step = {
  kind: 'step',
  name: 'tools',
  ensure: installStackTools,
  async health() {
    for (const name of Object.keys(stackTools)) accessSync(join(paths.bin, name), constants.X_OK);
    return `${Object.keys(stackTools).join(' ')} in ${paths.bin}`;
  },
};
