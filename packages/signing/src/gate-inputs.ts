// require-signature on a deploy gate (helm-deploy, canary-promote): which key or identity must have
// signed, checked with the other inputs before any tool runs. The check itself is gate.ts's.
import { InputError } from '@kubeline/runtime';
import { parseIdentity, verifierOf, type Verifier } from './identity.js';
import { parseKeyInput } from './key.js';

export interface SignatureInputs {
  key: string;
  identity: string;
  identityRegexp: string;
  issuer: string;
  issuerRegexp: string;
}

export function signatureVerifier(s: SignatureInputs): Verifier {
  const key = parseKeyInput(s.key, 'signature-key');
  const identity = parseIdentity(s);
  if (key.kind === 'none' && !identity)
    throw new InputError(
      'require-signature',
      'true',
      'give signature-key, or certificate-identity (or certificate-identity-regexp) with certificate-oidc-issuer (or certificate-oidc-issuer-regexp)',
    );
  return verifierOf(key, identity, { keyInput: 'signature-key', missing: '' });
}
