// The tool mirror: busybox httpd serving .stack/mirror as <tool>/v<version>/<file>, with
// manifest.json giving each file's sha256 in kubeline's tools-manifest format.
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { host, ports, urls } from './addresses.js';
import type { Daemon, Step } from './component.js';
import { buildMirrorAssets, type BuiltAsset, type MirrorAsset } from './mirror-assets.js';
import { paths } from './paths.js';
import { expectOk } from './probes.js';

export const manifestPath = join(paths.mirror, 'manifest.json');

interface ManifestEntry {
  file: string;
  sha256: string;
  binary?: string;
}
export interface ToolsManifest {
  tools: Record<string, { default: string; versions: Record<string, Record<string, ManifestEntry>> }>;
}

/** Default versions where the mirror holds several; otherwise its only one. */
const defaults: Record<string, string> = { helm: '3.17.3', kubectl: '1.33.9', cosign: '3.1.3' };

export function manifestOf(built: BuiltAsset[]): ToolsManifest {
  const manifest: ToolsManifest = { tools: {} };
  for (const { asset, sha256 } of built) {
    const tool = (manifest.tools[asset.tool] ??= {
      default: defaults[asset.tool] ?? asset.version,
      versions: {},
    });
    const entry: ManifestEntry = {
      file: asset.file,
      sha256,
      ...(asset.binary ? { binary: asset.binary } : {}),
    };
    tool.versions[asset.version] = { 'linux-x64': entry };
  }
  return manifest;
}

export function mirrorFile(asset: Pick<MirrorAsset, 'tool' | 'version' | 'file'>): string {
  return join(paths.mirror, asset.tool, `v${asset.version}`, asset.file);
}

export function readManifest(): ToolsManifest {
  return JSON.parse(readFileSync(manifestPath, 'utf8')) as ToolsManifest;
}

function publish(built: BuiltAsset): void {
  const target = mirrorFile(built.asset);
  if (existsSync(target) && statSync(target).ino === statSync(built.path).ino) return;
  mkdirSync(dirname(target), { recursive: true });
  rmSync(target, { force: true });
  try {
    linkSync(built.path, target); // same filesystem: no copy of ~360 MB
  } catch {
    copyFileSync(built.path, target);
  }
}

/**
 * The checksums files each upstream publishes beside its archives, in the upstream's own shape (helm:
 * `<file>.sha256sum`; kubectl: bare `<file>.sha256`; trivy, cosign, buildx: one checksums.txt per
 * release), so scripts/verify-pins.ts checks them here as it does upstream.
 */
function writeChecksumFiles(built: BuiltAsset[]): void {
  const lists = new Map<string, string[]>();
  const listName: Record<string, (version: string) => string> = {
    trivy: (v) => `trivy_${v}_checksums.txt`,
    cosign: () => 'cosign_checksums.txt',
    buildx: () => 'checksums.txt',
  };
  for (const { asset, sha256 } of built) {
    const file = mirrorFile(asset);
    if (asset.tool === 'helm') writeFileSync(`${file}.sha256sum`, `${sha256}  ${asset.file}\n`);
    else if (asset.tool === 'kubectl') writeFileSync(`${file}.sha256`, sha256);
    const name = listName[asset.tool]?.(asset.version);
    if (name) {
      const list = join(dirname(file), name);
      lists.set(list, [...(lists.get(list) ?? []), `${sha256}  ${asset.file}`]);
    }
  }
  for (const [list, lines] of lists) writeFileSync(list, lines.join('\n') + '\n');
}

export const mirrorContent: Step = {
  kind: 'step',
  name: 'mirror-content',
  async ensure() {
    const built = await buildMirrorAssets();
    built.forEach(publish);
    writeChecksumFiles(built);
    writeFileSync(manifestPath, JSON.stringify(manifestOf(built), null, 2) + '\n');
  },
  async health() {
    let files = 0;
    for (const [tool, { versions }] of Object.entries(readManifest().tools)) {
      for (const [version, platforms] of Object.entries(versions)) {
        for (const entry of Object.values(platforms)) {
          const file = mirrorFile({ tool, version, file: entry.file });
          if (!existsSync(file)) throw new Error(`${file} missing`);
          files++;
        }
      }
    }
    return `${files} archives in ${paths.mirror}`;
  },
};

export const mirrorServer: Daemon = {
  kind: 'daemon',
  name: 'tool-mirror',
  ports: [ports.mirror],
  startTimeoutMs: 10_000,
  async prepare() {
    mkdirSync(paths.mirror, { recursive: true });
    return { argv: ['busybox', 'httpd', '-f', '-v', '-p', `${host}:${ports.mirror}`, '-h', paths.mirror] };
  },
  async health() {
    await expectOk(`${urls.mirror}/manifest.json`);
    return urls.mirror;
  },
};
