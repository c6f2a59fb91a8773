import fs from 'node:fs';
import { KubelineError, UserError } from '@kubeline/runtime';
import bundled from '../manifest.json' with { type: 'json' };

/** One downloadable file for one os/arch. `binary` is its path inside an archive; absent for a bare binary. */
export interface Asset {
  file: string;
  sha256: string;
  binary?: string;
}

export interface ToolEntry {
  /** The version installed for `default`. */
  default: string;
  /** Upstream URL template: {version}, {file}, {os}, {arch} (Go names: linux, amd64). */
  upstream?: string;
  /** Keyed by version, then by `<os>-<arch>` in Node's names (linux-x64, linux-arm64, darwin-arm64). */
  versions: Record<string, Record<string, Asset>>;
}

export interface ToolsManifest {
  tools: Record<string, ToolEntry>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A manifest that fails these checks would let an unverified download through: refuse it whole. */
export function validateManifest(m: unknown, source: string): ToolsManifest {
  const bad = (why: string): never => {
    throw new KubelineError(`tools manifest ${source} is invalid: ${why}`);
  };
  const tools = (m as ToolsManifest | undefined)?.tools;
  if (!tools || typeof tools !== 'object') return bad('it has no "tools" object');
  for (const [name, entry] of Object.entries(tools)) {
    if (!entry.versions || typeof entry.versions !== 'object') bad(`${name} has no versions`);
    if (!entry.versions[entry.default]) bad(`${name}'s default ${entry.default} is not among its versions`);
    for (const [version, platforms] of Object.entries(entry.versions)) {
      for (const [platform, asset] of Object.entries(platforms)) {
        if (!asset.file || asset.file.includes('/') || asset.file.startsWith('.'))
          bad(`${name} ${version} ${platform} has an unsafe file name ${JSON.stringify(asset.file)}`);
        if (!SHA256.test(asset.sha256)) bad(`${name} ${version} ${platform} has no valid sha256`);
      }
    }
  }
  return m as ToolsManifest;
}

/** The manifest shipped in the bundle, or a replacement (air-gapped mirrors with their own archives). */
export function loadManifest(file?: string): ToolsManifest {
  if (!file) return validateManifest(bundled, 'bundled with kubeline');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`tools manifest ${file} cannot be read: ${(e as Error).message}`);
  }
  try {
    return validateManifest(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof KubelineError) throw e;
    throw new UserError(`tools manifest ${file} is not JSON: ${(e as Error).message}`);
  }
}
