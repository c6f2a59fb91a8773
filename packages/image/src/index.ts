export {
  parseReference,
  pinnedDigest,
  formatReference,
  imageName,
  apiHost,
  DIGEST,
  type ImageRef,
} from './reference.js';
export { parseImageInput, makeContract, type ImageContract, type ImageInput } from './contract.js';
export {
  RegistryClient,
  MANIFEST_TYPES,
  type Descriptor,
  type RegistryOptions,
  type ManifestInfo,
} from './registry.js';
export { dockerConfigCredentials, parseChallenge, type Credentials } from './registry-auth.js';
export { resolveImage } from './resolve.js';
export { writeRegistryLogin, type RegistryLogin } from './registry-login.js';
export { registryCaFile, isLoopbackRegistry } from './registry-ca.js';
