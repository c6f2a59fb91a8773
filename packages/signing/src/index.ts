// cosign as kubeline drives it: argv, keys and keyless identities, signing and verification by
// digest. cosign-sign signs with it; every deploy gate verifies with it.
export { Cosign, explainCosignFailure, writeOfflineTrustedRoot } from './cosign.js';
export {
  signArgs,
  attestArgs,
  verifyArgs,
  verifyAttestationArgs,
  publicKeyArgs,
  cosignMajor,
  type CosignMajor,
  type RegistryFlags,
  type CosignSigner,
  type CosignVerifier,
  type CommonOptions,
} from './cosign-args.js';
export { parseKeyInput, keyArgument, type KeySource } from './key.js';
export { keylessOidcProvider, jobIdentity, type CertificateIdentity } from './keyless.js';
export { parseIdentity, verifierOf, type IdentityInputs, type Signer, type Verifier } from './identity.js';
export { prepareSigner, resolveVerifier, type ResolvedVerifier } from './verifier.js';
export {
  verifyTargets,
  verifyAttestations,
  payloadNamesDigest,
  type DigestResult,
  type AttestationResult,
} from './verify.js';
export { signTargets, type Target } from './targets.js';
export {
  registryAccess,
  imageRegistryAccess,
  type RegistryAccess,
  type RegistryInputs,
} from './registry-access.js';
export { requireSignature, attestedPredicates, type GateOptions } from './gate.js';
export { signatureVerifier, type SignatureInputs } from './gate-inputs.js';
export {
  locateArtifacts,
  BUNDLE_ARTIFACT_TYPE,
  SIGNATURE_PREDICATE,
  type ArtifactKind,
  type Located,
} from './locations.js';
export {
  parseScanRequirement,
  parseSeverities,
  checkScan,
  checkScanEvidence,
  SEVERITIES,
  type ScanRequirement,
  type TrivyReport,
} from './scan-gate.js';
export { checkImageGates, type ImageGates } from './deploy-gates.js';
