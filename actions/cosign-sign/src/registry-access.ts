import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@kubeline/runtime';
import { writeRegistryLogin, type RegistryOptions } from '@kubeline/image';
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
  if (Boolean(given.username) !== Boolean(given.password))
    throw new InputError(
      given.username ? 'registry-password' : 'registry-username',
      '',
      'registry-username and registry-password go together',
    );
  const caFile = given.ca.trim() ? registryCaFile(given.ca, workDir) : undefined;
  const credentials = given.username ? { username: given.username, password: given.password } : undefined;
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

function registryCaFile(value: string, workDir: string): string {
  const text = value.trim();
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const file = path.join(workDir, 'registry-ca.pem');
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    return file;
  }
  if (!fs.existsSync(text) || !fs.statSync(text).isFile())
    throw new InputError('registry-ca', text, 'no such file; give a PEM certificate or the path of one');
  return path.resolve(text);
}
