// The tools tests run (.stack/bin): installed from the local mirror, as kubeline's users get them.
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './checksum.js';
import { runCommand } from './command.js';
import type { Step } from './component.js';
import { mirrorFile, readManifest } from './mirror.js';
import { cacheDir, paths } from './paths.js';

/** .stack/bin name → tool and version in the mirror manifest ('default' = the manifest's default). */
export const stackTools: Record<string, { tool: string; version: string }> = {
  kubectl: { tool: 'kubectl', version: 'default' },
  helm3: { tool: 'helm', version: '3.17.3' },
  helm4: { tool: 'helm', version: '4.1.4' },
  trivy: { tool: 'trivy', version: 'default' },
  cosign: { tool: 'cosign', version: 'default' },
  'docker-buildx': { tool: 'buildx', version: 'default' },
};

/** Verifies one mirror archive and unpacks it into the tool cache; returns the binary's path. */
async function extractTool(tool: string, requested: string): Promise<string> {
  const manifest = readManifest().tools[tool];
  if (!manifest) throw new Error(`mirror manifest has no ${tool}`);
  const version = requested === 'default' ? manifest.default : requested;
  const entry = manifest.versions[version]?.['linux-x64'];
  if (!entry) throw new Error(`mirror manifest has no ${tool} ${version} for linux-x64`);
  const dir = join(cacheDir, 'tool-cache', tool, version, entry.sha256.slice(0, 12));
  const binary = join(dir, entry.binary ?? tool);
  if (existsSync(binary)) return binary;
  const archive = mirrorFile({ tool, version, file: entry.file });
  const actual = await sha256File(archive);
  if (actual !== entry.sha256) throw new Error(`${archive}: sha256 ${actual}, manifest says ${entry.sha256}`);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  if (entry.binary) await runCommand(['tar', '-xzf', archive, '-C', tmp, entry.binary]);
  else copyFileSync(archive, join(tmp, tool));
  chmodSync(join(tmp, entry.binary ?? tool), 0o755);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return binary;
}

function linkInto(name: string, target: string): void {
  const link = join(paths.bin, name);
  try {
    if (readlinkSync(link) === target) return;
  } catch {
    // no link yet
  }
  rmSync(link, { force: true });
  symlinkSync(target, link);
}

// TODO(lead): replace with kubeline installer (`node bin/kubeline.js setup-tools` against
// TOOLS_MIRROR/TOOLS_MANIFEST); until then this verifies + unpacks the mirror archives itself.
export async function installStackTools(): Promise<void> {
  mkdirSync(paths.bin, { recursive: true });
  for (const [name, { tool, version }] of Object.entries(stackTools)) {
    linkInto(name, await extractTool(tool, version));
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
