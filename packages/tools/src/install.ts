import fs from 'node:fs';
import path from 'node:path';
import { InputError, KubelineError, exec, log, runnerTemp, toolCacheDir } from '@kubeline/runtime';
import { downloadVerified } from './download.js';
import { KNOWN_TOOLS, parseVersionOutput } from './known-tools.js';
import { loadManifest, type Asset, type ToolsManifest } from './manifest.js';
import { currentPlatform, goNames } from './platforms.js';
import { resolveVersion } from './versions.js';

export interface InstallRequest {
  tool: string;
  /** `default`, an exact version or a prefix; see resolveVersion. */
  version: string;
  /** Base URL laid out as `<base>/<tool>/v<version>/<file>`; replaces the upstream URL. */
  mirror?: string;
  manifest?: ToolsManifest;
  /** `<os>-<arch>` in Node's names; defaults to this machine. */
  platform?: string;
  /** Reuse a binary on PATH whose version matches (default true). */
  reusePath?: boolean;
  /** The input names to blame in errors, when called from an action. */
  inputs?: { version?: string; platform?: string };
}

export interface Installed {
  tool: string;
  version: string;
  /** Absolute path of the executable. */
  path: string;
  source: 'path' | 'cache' | 'download';
}

export function assetUrl(
  tool: string,
  version: string,
  asset: Asset,
  platform: string,
  upstream?: string,
  mirror?: string,
): string {
  if (mirror) return `${mirror.replace(/\/+$/, '')}/${tool}/v${version}/${asset.file}`;
  if (!upstream)
    throw new KubelineError(`${tool} ${version} has no upstream URL in the manifest; give a mirror`);
  const { os, arch } = goNames(platform);
  return upstream
    .replaceAll('{version}', version)
    .replaceAll('{file}', asset.file)
    .replaceAll('{os}', os)
    .replaceAll('{arch}', arch);
}

/** Installs one tool: PATH (same version) → tool cache → verified download. */
export async function installTool(req: InstallRequest): Promise<Installed> {
  const manifest = req.manifest ?? loadManifest();
  const entry = manifest.tools[req.tool];
  if (!entry) throw new KubelineError(`bug: ${req.tool} is not in the tools manifest`);
  const version = resolveVersion(req.tool, req.version, entry, req.inputs?.version ?? req.tool);
  const platform = req.platform ?? currentPlatform();
  const asset = entry.versions[version]?.[platform];
  if (!asset) {
    const allowed = Object.keys(entry.versions[version] ?? {})
      .sort()
      .join(', ');
    throw new InputError(
      req.inputs?.platform ?? 'platform',
      platform,
      `${req.tool} ${version} is pinned for: ${allowed}`,
    );
  }
  const known = KNOWN_TOOLS[req.tool];
  const binaryName = known?.binary ?? req.tool;
  const arch = platform.split('-')[1] ?? '';

  if (req.reusePath !== false && platform === currentPlatform()) {
    const onPath = await findOnPath(binaryName, version);
    if (onPath) return { tool: req.tool, version, path: onPath, source: 'path' };
  }
  const cached = findCached(req.tool, version, arch, binaryName);
  if (cached) return { tool: req.tool, version, path: cached, source: 'cache' };

  const url = assetUrl(req.tool, version, asset, platform, entry.upstream, req.mirror);
  const work = fs.mkdtempSync(path.join(ensureDir(runnerTemp()), `${req.tool}-`));
  try {
    const download = path.join(work, asset.file);
    log.info(`downloading ${req.tool} ${version} (${platform}) from ${url}`);
    await downloadVerified(url, download, asset.sha256);
    // Loaded only to install: tool-cache brings @actions/core and undici (~50 ms), which a cache hit
    // never needs.
    const tc = await import('@actions/tool-cache');
    const unpacked = await unpack(tc, download, asset, binaryName, work);
    const dir = await tc.cacheDir(unpacked, req.tool, version, arch);
    const bin = path.join(dir, binaryName);
    fs.chmodSync(bin, 0o755);
    return { tool: req.tool, version, path: bin, source: 'download' };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Leaves a folder holding just the executable under its canonical name. */
type ToolCache = typeof import('@actions/tool-cache');

async function unpack(
  tc: ToolCache,
  file: string,
  asset: Asset,
  binaryName: string,
  work: string,
): Promise<string> {
  const out = path.join(work, 'bin');
  fs.mkdirSync(out);
  if (!asset.binary) {
    fs.copyFileSync(file, path.join(out, binaryName));
    return out;
  }
  const extracted = path.join(work, 'x');
  if (/\.(tar\.gz|tgz)$/.test(asset.file)) await tc.extractTar(file, extracted);
  else if (asset.file.endsWith('.zip')) await tc.extractZip(file, extracted);
  else throw new KubelineError(`cannot unpack ${asset.file}: only .tar.gz, .tgz and .zip are supported`);
  const inside = path.resolve(extracted, asset.binary);
  if (!inside.startsWith(extracted + path.sep) || !fs.existsSync(inside))
    throw new KubelineError(`${asset.file} does not contain ${asset.binary}`);
  fs.renameSync(inside, path.join(out, binaryName));
  return out;
}

/** tool-cache's own layout: `<cache>/<tool>/<version>/<arch>`, complete once `<arch>.complete` exists. */
function findCached(tool: string, version: string, arch: string, binaryName: string): string | undefined {
  const dir = path.join(toolCacheDir(), tool, version, arch);
  const bin = path.join(dir, binaryName);
  return fs.existsSync(`${dir}.complete`) && isExecutable(bin) ? bin : undefined;
}

async function findOnPath(binary: string, version: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (!dir || !isExecutable(candidate)) continue;
    const args =
      KNOWN_TOOLS[Object.keys(KNOWN_TOOLS).find((k) => KNOWN_TOOLS[k]!.binary === binary) ?? '']?.versionArgs;
    if (!args) return undefined;
    const res = await exec(candidate, args, { silent: true, allowFailure: true, timeoutMs: 10_000 }).catch(
      () => undefined,
    );
    const found = res && res.code === 0 ? parseVersionOutput(res.stdout + res.stderr) : undefined;
    if (found === version) {
      log.info(`using ${candidate} from PATH (version ${version})`);
      return candidate;
    }
    log.debug(`${candidate} is version ${found ?? 'unknown'}, not ${version}: not reused`);
    return undefined;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
