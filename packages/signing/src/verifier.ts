import path from 'node:path';
import type { CosignSigner, CosignVerifier } from './cosign-args.js';
import type { Cosign } from './cosign.js';
import { publicKeyArgs } from './cosign-args.js';
import { keyArgument, type KeySource } from './key.js';
import type { Signer, Verifier } from './identity.js';

export interface ResolvedVerifier {
  cosign: CosignVerifier;
  /** For the log and the summary. */
  description: string;
  /** Key-based: checkable without the transparency log's trust roots. */
  keyBased: boolean;
}

function describeKey(source: KeySource, ref: string): string {
  return source.kind === 'kms'
    ? `key ${ref}`
    : source.kind === 'file'
      ? `key ${path.basename(ref)}`
      : 'the given public key';
}

/**
 * The key cosign signs with, and what verifies the result. A file or PEM private key has its public
 * half derived by cosign first, which fails on a wrong password before anything is pushed.
 */
export async function prepareSigner(
  cosign: Cosign,
  signer: Signer,
  workDir: string,
): Promise<{ cosign: CosignSigner; verifier: ResolvedVerifier }> {
  if (signer.kind === 'keyless')
    return {
      cosign: { oidcProvider: signer.oidcProvider },
      verifier: resolveVerifier({ kind: 'identity', identity: signer.identity }, workDir),
    };
  const key = keyArgument(signer.key, workDir, 'cosign.key')!;
  if (signer.key.kind === 'kms')
    return { cosign: { key }, verifier: { cosign: { key }, description: `key ${key}`, keyBased: true } };
  const pub = path.join(workDir, 'cosign.pub');
  // Silent: on a wrong password cosign's own lines add nothing to our one-line error.
  await cosign.runExplained(publicKeyArgs(key, pub), 'the signing key', { silent: true });
  return {
    cosign: { key },
    verifier: { cosign: { key: pub }, description: 'the public half of the signing key', keyBased: true },
  };
}

export function resolveVerifier(verifier: Verifier, workDir: string): ResolvedVerifier {
  if (verifier.kind === 'identity') {
    const { identity, identityRegexp, issuer, issuerRegexp } = verifier.identity;
    return {
      cosign: { identity: verifier.identity },
      description: `certificate identity ${identity ?? `~${identityRegexp}`} (issuer ${issuer ?? `~${issuerRegexp}`})`,
      keyBased: false,
    };
  }
  const key = keyArgument(verifier.key, workDir, 'cosign.pub')!;
  return { cosign: { key }, description: describeKey(verifier.key, key), keyBased: true };
}
