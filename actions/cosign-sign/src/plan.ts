import { InputError, UserError, type PlatformName } from '@kubeline/runtime';
import type { AttestationType, Inputs } from './inputs.js';
import type { KeySource } from './key.js';
import { jobIdentity, keylessOidcProvider, type CertificateIdentity } from './keyless.js';

export type Signer =
  | { kind: 'key'; key: KeySource }
  /** `identity`: what the fresh signature is verified against (this job's identity by default). */
  | { kind: 'keyless'; oidcProvider: 'github-actions' | 'envvar'; identity: CertificateIdentity };

export type Verifier = { kind: 'key'; key: KeySource } | { kind: 'identity'; identity: CertificateIdentity };

interface PlanBase {
  tlog: boolean;
  /** Inputs given that this mode does not use: said out loud, never dropped silently. */
  ignored: string[];
}

export interface SignPlan extends PlanBase {
  mode: 'sign';
  signer: Signer;
  /** Predicate files to attach. */
  attach: { sbom?: string; vulnReport?: string };
}

export interface VerifyPlan extends PlanBase {
  mode: 'verify';
  verifier: Verifier;
  /** Attestation types that must verify. */
  require: AttestationType[];
}

export type Plan = SignPlan | VerifyPlan;

/**
 * Every combination of inputs is checked here, before a registry or cosign is touched: a keyless
 * run without an OIDC token fails in the first second, not after the image was resolved.
 */
export function makePlan(inputs: Inputs, platform: PlatformName, env: NodeJS.ProcessEnv): Plan {
  const identity = identityFromInputs(inputs);
  const tlog = inputs['transparency-log'];
  if (inputs.mode === 'verify') {
    const ignored = (['sbom', 'vuln-report', 'password'] as const).filter((n) => inputs[n] !== '');
    return {
      mode: 'verify',
      verifier: gateVerifier(inputs, identity, platform, env),
      tlog,
      require: inputs['require-attestations'],
      ignored,
    };
  }
  const ignored = inputs['require-attestations'].length ? ['require-attestations'] : [];
  const attach = {
    ...(inputs.sbom ? { sbom: inputs.sbom } : {}),
    ...(inputs['vuln-report'] ? { vulnReport: inputs['vuln-report'] } : {}),
  };
  if (inputs.keyless) {
    if (inputs.key.kind !== 'none')
      throw new InputError('keyless', 'true', 'give either `key` or `keyless: true`, not both');
    if (!tlog)
      throw new InputError(
        'transparency-log',
        'false',
        'keyless signatures are only verifiable through the transparency log; keep it true',
      );
    const oidcProvider = keylessOidcProvider(platform, env);
    const expected = identity ?? jobIdentity(platform, env);
    if (!expected)
      throw new UserError(
        'keyless signing outside GitHub Actions and GitLab CI needs certificate-identity and certificate-oidc-issuer to verify the signature',
      );
    return {
      mode: 'sign',
      signer: { kind: 'keyless', oidcProvider, identity: expected },
      tlog,
      attach,
      ignored,
    };
  }
  if (inputs.key.kind === 'none')
    throw new UserError('signing needs a key: set `key` (and `password`), or `keyless: true`');
  if (inputs.key.kind === 'pem' && !inputs.key.private)
    throw new InputError('key', 'a public key', 'signing needs the private key (cosign.key)');
  if (identity) ignored.push('certificate-identity / certificate-oidc-issuer');
  return {
    mode: 'sign',
    signer: { kind: 'key', key: inputs.key },
    tlog,
    attach,
    ignored,
  };
}

function gateVerifier(
  inputs: Inputs,
  identity: CertificateIdentity | undefined,
  platform: PlatformName,
  env: NodeJS.ProcessEnv,
): Verifier {
  if (inputs.key.kind !== 'none' && identity)
    throw new InputError('key', 'set', 'verify by `key` or by certificate identity, not both');
  if (inputs.key.kind === 'pem' && inputs.key.private)
    throw new InputError('key', '***', 'verification needs the public key (cosign.pub), not the private key');
  if (inputs.key.kind !== 'none') return { kind: 'key', key: inputs.key };
  const expected = identity ?? (inputs.keyless ? jobIdentity(platform, env) : undefined);
  if (!expected)
    throw new UserError(
      'verify mode needs `key` (the public key) or `certificate-identity`(-regexp) with `certificate-oidc-issuer`(-regexp)',
    );
  return { kind: 'identity', identity: expected };
}

/** One of identity / identity-regexp and one of issuer / issuer-regexp, or none of the four. */
export function identityFromInputs(inputs: Inputs): CertificateIdentity | undefined {
  const identity = inputs['certificate-identity'];
  const identityRegexp = inputs['certificate-identity-regexp'];
  const issuer = inputs['certificate-oidc-issuer'];
  const issuerRegexp = inputs['certificate-oidc-issuer-regexp'];
  if (!identity && !identityRegexp && !issuer && !issuerRegexp) return undefined;
  const pair = (a: string, b: string, name: string) => {
    if (a && b) throw new InputError(`${name}-regexp`, b, `give ${name} or ${name}-regexp, not both`);
    if (!a && !b)
      throw new UserError(
        `input "${name}" (or "${name}-regexp") is required with the other certificate inputs`,
      );
  };
  pair(identity, identityRegexp, 'certificate-identity');
  pair(issuer, issuerRegexp, 'certificate-oidc-issuer');
  return {
    ...(identity ? { identity } : { identityRegexp }),
    ...(issuer ? { issuer } : { issuerRegexp }),
  };
}
