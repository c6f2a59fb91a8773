// What trivy scans. A registry image is pinned by digest first: a tag is resolved once, logged, and
// trivy is handed `name@digest`, so the report describes exactly the image later steps deploy.
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError, credentialPair } from '@kubeline/runtime';
import {
  imageName,
  parseImageInput,
  parseReference,
  resolveImage,
  writeRegistryLogin,
  type ImageInput,
  type RegistryLogin,
} from '@kubeline/image';
import type { ScanTarget, ScanType } from './trivy-args.js';

export interface TargetInputs {
  scanType: ScanType;
  image: string;
  input: string;
  path: string;
  registryUsername: string;
  registryPassword: string;
}

/** Checked before anything is installed or downloaded: a typo costs nothing. */
export type CheckedTarget =
  | { kind: 'registry'; image: ImageInput }
  | { kind: 'tarball'; path: string }
  | { kind: 'path'; path: string };

export function checkTarget(i: TargetInputs): CheckedTarget {
  credentialPair(i.registryUsername, i.registryPassword, {
    username: 'registry-username',
    password: 'registry-password',
  });
  if (i.scanType === 'image') {
    if (i.input) return { kind: 'tarball', path: existing('input', i.input, 'file') };
    if (!i.image.trim())
      throw new UserError(
        'input "image" is required for scan-type image (or give an image tarball as "input")',
      );
    return { kind: 'registry', image: parseImageInput(i.image, 'image') };
  }
  if (i.scanType === 'sbom') return { kind: 'path', path: existing('path', i.path, 'file', 'the SBOM file') };
  return { kind: 'path', path: existing('path', i.path, 'any') };
}

function existing(
  name: string,
  p: string,
  want: 'file' | 'any',
  what = want === 'file' ? 'file' : 'file or folder',
): string {
  const full = path.resolve(p);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat || (want === 'file' && !stat.isFile()))
    throw new InputError(name, p, `it must be an existing ${what}`);
  return full;
}

export interface ResolvedTarget {
  target: ScanTarget;
  /** How the summary and logs name it. */
  subject: string;
  digest?: string;
  registry?: string;
  /** Asks the registry for the image (once); rejects with the reason it cannot be had. */
  confirm(): Promise<void>;
}

export interface RegistryCredentials {
  username: string;
  password: string;
  caFile?: string;
}

export async function resolveTarget(
  checked: CheckedTarget,
  creds: RegistryCredentials,
): Promise<ResolvedTarget> {
  if (checked.kind !== 'registry') return { target: checked, subject: checked.path, confirm: confirmed };
  const credentials = creds.username ? { username: creds.username, password: creds.password } : undefined;
  const resolve = () =>
    resolveImage(checked.image, { credentials, caFile: creds.caFile, inputName: 'image' });
  const pinned = checked.image.kind === 'reference' ? checked.image.ref : undefined;
  if (pinned?.digest) {
    // Already pinned: the registry is asked once trivy runs (TLS set-up alone is ~10 ms of this
    // process), and its answer (no such image, another digest) arrives while trivy scans.
    let asked: Promise<void> | undefined;
    const confirm = () => (asked ??= resolve().then(() => undefined));
    return registryTarget(`${imageName(pinned)}@${pinned.digest}`, pinned.digest, confirm);
  }
  const contract = await resolve();
  return registryTarget(contract.ref, contract.digest, confirmed);
}

const confirmed = () => Promise.resolve();

function registryTarget(ref: string, digest: string, confirm: () => Promise<void>): ResolvedTarget {
  const { registry } = parseReference(ref, 'image');
  return { target: { kind: 'registry', ref }, subject: ref, digest, registry, confirm };
}

/** A private DOCKER_CONFIG in the run's work dir, holding the registry-username login for trivy. */
export function registryLogin(
  resolved: ResolvedTarget,
  creds: RegistryCredentials,
  workDir: string,
): RegistryLogin | undefined {
  if (!resolved.registry || !creds.username) return undefined;
  return writeRegistryLogin(
    [{ registry: resolved.registry, username: creds.username, password: creds.password }],
    workDir,
  );
}
