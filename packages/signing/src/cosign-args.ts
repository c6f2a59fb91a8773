// The argv of every cosign command the action runs, as pure functions: what is signed, with which
// key or identity, and which network services are (not) contacted is decided here and unit-tested.
import type { CertificateIdentity } from './keyless.js';

export interface RegistryFlags {
  /** PEM file of the CA that signed the registry's TLS certificate. */
  caFile?: string;
}

/** The signer as cosign sees it: a key reference (file or KMS URI) or this job's OIDC identity. */
export type CosignSigner = { key: string } | { oidcProvider: string };
/** The verifier as cosign sees it: a public key reference or the accepted certificate identity. */
export type CosignVerifier = { key: string } | { identity: CertificateIdentity };

export interface CommonOptions {
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

/** `--yes`: cosign would otherwise ask on a terminal before uploading to the transparency log. */
export function signArgs(signer: CosignSigner, refs: string[], o: CommonOptions): string[] {
  return [
    'sign',
    '--yes',
    ...signerArgs(signer),
    `--tlog-upload=${o.tlog}`,
    ...registryArgs(o.registry),
    ...refs,
  ];
}

/** `--replace`: a re-run replaces the attestation of the same type instead of piling up copies. */
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
    '--replace',
    `--tlog-upload=${o.tlog}`,
    ...registryArgs(o.registry),
    ref,
  ];
}

/** Without the transparency log, cosign must be told so explicitly; it never looks Rekor up then. */
function tlogVerifyArgs(o: CommonOptions): string[] {
  if (o.tlog) return [];
  return ['--insecure-ignore-tlog=true', ...(o.trustedRoot ? ['--trusted-root', o.trustedRoot] : [])];
}

export function verifyArgs(verifier: CosignVerifier, ref: string, o: CommonOptions): string[] {
  return [
    'verify',
    ...verifierArgs(verifier),
    ...tlogVerifyArgs(o),
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

export function triangulateArgs(
  ref: string,
  type: 'signature' | 'attestation',
  registry: RegistryFlags,
): string[] {
  return ['triangulate', '--type', type, ...registryArgs(registry), ref];
}

/** Derives the public key of a private key: proves the password before anything is pushed. */
export function publicKeyArgs(key: string, outFile: string): string[] {
  return ['public-key', '--key', key, '--outfile', outFile];
}
