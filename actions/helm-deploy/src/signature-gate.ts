// require-signature: which key or identity must have signed, checked with the other inputs before
// any tool runs. The check itself is @kubeline/signing's, the same as cosign-sign's verify mode.
import { InputError } from '@kubeline/runtime';
import { parseIdentity, parseKeyInput, verifierOf, type Verifier } from '@kubeline/signing';

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
