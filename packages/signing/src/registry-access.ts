import { credentialPair } from '@kubeline/runtime';
import {
  parseReference,
  registryCaFile,
  writeRegistryLogin,
  type ImageInput,
  type RegistryOptions,
} from '@kubeline/image';
import type { RegistryFlags } from './cosign-args.js';

/** How both kubeline's registry client and cosign reach the image's registry. */
export interface RegistryAccess {
  client: RegistryOptions;
  cosign: RegistryFlags;
  /** Added to cosign's environment: a private DOCKER_CONFIG holding the login, when one was given. */
  env: Record<string, string>;
}

export function registryAccess(
  registry: string,
  given: { username: string; password: string; ca: string },
  workDir: string,
): RegistryAccess {
  const credentials = credentialPair(given.username, given.password, {
    username: 'registry-username',
    password: 'registry-password',
  });
  const caFile = registryCaFile(given.ca, workDir);
  const env: Record<string, string> = {};
  if (credentials) {
    // Inside the work dir, so it goes when the work dir is removed (post step included).
    env.DOCKER_CONFIG = writeRegistryLogin([{ registry, ...credentials }], workDir).dockerConfig;
  }
  return {
    client: { ...(credentials ? { credentials } : {}), ...(caFile ? { caFile } : {}) },
    cosign: caFile ? { caFile } : {},
    env,
  };
}

/** The registry inputs every image-reading action declares. */
export interface RegistryInputs {
  'registry-username': string;
  'registry-password': string;
  'registry-ca': string;
}

/** The registry of an image input (a contract or a reference), reached with the action's login and CA. */
export function imageRegistryAccess(
  image: ImageInput,
  inputs: RegistryInputs,
  workDir: string,
): RegistryAccess {
  const ref = image.kind === 'reference' ? image.ref : parseReference(image.contract.ref);
  const login = {
    username: inputs['registry-username'],
    password: inputs['registry-password'],
    ca: inputs['registry-ca'],
  };
  return registryAccess(ref.registry, login, workDir);
}
