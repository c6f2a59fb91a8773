// Who must have signed: a key, or a keyless certificate identity. One parser for every action that
// verifies (cosign-sign's verify mode, helm-deploy's gate, canary-promote's and gitops-promote's),
// so a combination refused by one is refused by all.
import { InputError, UserError } from '@kubeline/runtime';
import type { KeySource } from './key.js';
import type { CertificateIdentity } from './keyless.js';

export type Signer =
  | { kind: 'key'; key: KeySource }
  /** `identity`: what the fresh signature is verified against (this job's identity by default). */
  | { kind: 'keyless'; oidcProvider: 'github-actions' | 'envvar'; identity: CertificateIdentity };

export type Verifier = { kind: 'key'; key: KeySource } | { kind: 'identity'; identity: CertificateIdentity };

/** The four certificate inputs as given; empty strings for the ones left out. */
export interface IdentityInputs {
  identity: string;
  identityRegexp: string;
  issuer: string;
  issuerRegexp: string;
}

/** One of identity / identity-regexp and one of issuer / issuer-regexp, or none of the four. */
export function parseIdentity(i: IdentityInputs): CertificateIdentity | undefined {
  if (!i.identity && !i.identityRegexp && !i.issuer && !i.issuerRegexp) return undefined;
  const pair = (a: string, b: string, name: string) => {
    if (a && b) throw new InputError(`${name}-regexp`, b, `give ${name} or ${name}-regexp, not both`);
    if (!a && !b)
      throw new UserError(
        `input "${name}" (or "${name}-regexp") is required with the other certificate inputs`,
      );
  };
  pair(i.identity, i.identityRegexp, 'certificate-identity');
  pair(i.issuer, i.issuerRegexp, 'certificate-oidc-issuer');
  return {
    ...(i.identity ? { identity: i.identity } : { identityRegexp: i.identityRegexp }),
    ...(i.issuer ? { issuer: i.issuer } : { issuerRegexp: i.issuerRegexp }),
  };
}

/**
 * The verifier of a gate: a public key or a certificate identity, never both. `fallback` is the
 * identity used when none is given (cosign-sign verifying this job's own keyless signature).
 */
export function verifierOf(
  key: KeySource,
  identity: CertificateIdentity | undefined,
  o: { keyInput: string; missing: string; fallback?: CertificateIdentity },
): Verifier {
  if (key.kind !== 'none' && identity)
    throw new InputError(
      o.keyInput,
      'set',
      `verify by \`${o.keyInput}\` or by certificate identity, not both`,
    );
  if (key.kind === 'pem' && key.private)
    throw new InputError(
      o.keyInput,
      '***',
      'verification needs the public key (cosign.pub), not the private key',
    );
  if (key.kind !== 'none') return { kind: 'key', key };
  const expected = identity ?? o.fallback;
  if (!expected) throw new UserError(o.missing);
  return { kind: 'identity', identity: expected };
}
