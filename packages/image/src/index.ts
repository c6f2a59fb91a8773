export {
  parseReference,
  pinnedDigest,
  formatReference,
  imageName,
  apiHost,
  DIGEST,
  type ImageRef,
} from './reference.js';
export {
  parseImageInput,
  makeContract,
  imageInput,
  type ImageContract,
  type ImageInput,
} from './contract.js';
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
export {
  parseImageValuesPath,
  imagePart,
  imageValues,
  checkPinned,
  IMAGE_PARTS,
  type ImagePart,
  type ImageMapping,
  type PinCheck,
} from './image-pin.js';
