import { InputError, UserError, type PlatformName } from '@kubeline/runtime';
import type { AttestationType, Inputs } from './inputs.js';
import {
  jobIdentity,
  keylessOidcProvider,
  parseIdentity,
  verifierOf,
  type CertificateIdentity,
  type Signer,
  type Verifier,
} from '@kubeline/signing';

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
  return verifierOf(inputs.key, identity, {
    keyInput: 'key',
    missing:
      'verify mode needs `key` (the public key) or `certificate-identity`(-regexp) with `certificate-oidc-issuer`(-regexp)',
    ...(inputs.keyless ? { fallback: jobIdentity(platform, env) } : {}),
  });
}

export function identityFromInputs(inputs: Inputs): CertificateIdentity | undefined {
  return parseIdentity({
    identity: inputs['certificate-identity'],
    identityRegexp: inputs['certificate-identity-regexp'],
    issuer: inputs['certificate-oidc-issuer'],
    issuerRegexp: inputs['certificate-oidc-issuer-regexp'],
  });
}
