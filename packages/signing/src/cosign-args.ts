// The argv of every cosign command the action runs, as pure functions: what is signed, with which
// key or identity, and which network services are (not) contacted is decided here and unit-tested.
// cosign 3 writes Sigstore bundles as OCI referrers and takes its service URLs from a signing config
// fetched from Sigstore's TUF repository by default; cosign 2 writes `.sig`/`.att` tags.
import type { CertificateIdentity } from './keyless.js';

export type CosignMajor = 2 | 3;

export function cosignMajor(version: string): CosignMajor {
  return Number(version.replace(/^v/, '').split('.')[0]) >= 3 ? 3 : 2;
}

export interface RegistryFlags {
  /** PEM file of the CA that signed the registry's TLS certificate. */
  caFile?: string;
}

/** The signer as cosign sees it: a key reference (file or KMS URI) or this job's OIDC identity. */
export type CosignSigner = { key: string } | { oidcProvider: string };
/** The verifier as cosign sees it: a public key reference or the accepted certificate identity. */
export type CosignVerifier = { key: string } | { identity: CertificateIdentity };

export interface CommonOptions {
  major: CosignMajor;
  tlog: boolean;
  registry: RegistryFlags;
  /**
   * Verification without the transparency log: an empty trusted root, so a key-only check never
   * asks Sigstore's TUF repository for roots it does not need.
   */
  trustedRoot?: string;
}

function registryArgs(r: RegistryFlags): string[] {
  return r.caFile ? ['--registry-cacert', r.caFile] : [];
}

function signerArgs(signer: CosignSigner): string[] {
  return 'key' in signer ? ['--key', signer.key] : ['--oidc-provider', signer.oidcProvider];
}

function verifierArgs(v: CosignVerifier): string[] {
  if ('key' in v) return ['--key', v.key];
  const { identity, identityRegexp, issuer, issuerRegexp } = v.identity;
  return [
    ...(identity ? ['--certificate-identity', identity] : ['--certificate-identity-regexp', identityRegexp!]),
    ...(issuer ? ['--certificate-oidc-issuer', issuer] : ['--certificate-oidc-issuer-regexp', issuerRegexp!]),
  ];
}

/**
 * Without the transparency log: cosign 3 refuses `--tlog-upload=false` beside its default signing
 * config, and that config is fetched from Sigstore's TUF repository; off it goes, so nothing but the
 * registry is contacted. With the log, each major uses its public-good defaults.
 */
function tlogSignArgs(o: CommonOptions): string[] {
  if (o.major === 3) return o.tlog ? [] : ['--use-signing-config=false', '--tlog-upload=false'];
  return [`--tlog-upload=${o.tlog}`];
}

/** `--yes`: cosign would otherwise ask on a terminal before uploading to the transparency log. */
export function signArgs(signer: CosignSigner, refs: string[], o: CommonOptions): string[] {
  return ['sign', '--yes', ...signerArgs(signer), ...tlogSignArgs(o), ...registryArgs(o.registry), ...refs];
}

/**
 * cosign 2 `--replace`: a re-run replaces the attestation of the same type instead of piling up
 * copies. cosign 3 adds a bundle per run (`--replace` is ignored there, and deprecated).
 */
export function attestArgs(
  signer: CosignSigner,
  ref: string,
  type: string,
  predicate: string,
  o: CommonOptions,
): string[] {
  return [
    'attest',
    '--yes',
    ...signerArgs(signer),
    '--type',
    type,
    '--predicate',
    predicate,
    ...(o.major === 2 ? ['--replace'] : []),
    ...tlogSignArgs(o),
    ...registryArgs(o.registry),
    ref,
  ];
}

/** Without the transparency log, cosign must be told so explicitly; it never looks Rekor up then. */
function tlogVerifyArgs(o: CommonOptions): string[] {
  if (o.tlog) return [];
  return ['--insecure-ignore-tlog=true', ...(o.trustedRoot ? ['--trusted-root', o.trustedRoot] : [])];
}

/**
 * `legacyFormat` (cosign 3): only cosign 2's `.sig` signatures. cosign 3 looks at bundles alone once
 * an image has any — an attestation bundle would hide a cosign 2 signature of the same digest.
 */
export function verifyArgs(
  verifier: CosignVerifier,
  ref: string,
  o: CommonOptions,
  legacyFormat = false,
): string[] {
  return [
    'verify',
    ...verifierArgs(verifier),
    ...tlogVerifyArgs(o),
    ...(legacyFormat && o.major === 3 ? ['--new-bundle-format=false'] : []),
    '--output',
    'json',
    ...registryArgs(o.registry),
    ref,
  ];
}

export function verifyAttestationArgs(
  verifier: CosignVerifier,
  ref: string,
  type: string,
  o: CommonOptions,
): string[] {
  return [
    'verify-attestation',
    ...verifierArgs(verifier),
    '--type',
    type,
    ...tlogVerifyArgs(o),
    '--output',
    'json',
    ...registryArgs(o.registry),
    ref,
  ];
}

/** Derives the public key of a private key: proves the password before anything is pushed. */
export function publicKeyArgs(key: string, outFile: string): string[] {
  return ['public-key', '--key', key, '--outfile', outFile];
}
