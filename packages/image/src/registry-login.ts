import fs from 'node:fs';
import path from 'node:path';
import { addSecret, runnerTemp } from '@kubeline/runtime';
import type { Credentials } from './registry-auth.js';

export interface RegistryLogin {
  /** A private DOCKER_CONFIG folder for docker, buildx, cosign and trivy to use. */
  dockerConfig: string;
  remove(): void;
}

/**
 * Writes credentials the way `docker login` stores them, into a fresh 0700 folder with a 0600
 * config.json under the runner temp dir — never the user's own ~/.docker, and no `docker login`
 * process that could echo them. Callers remove it in their post step.
 */
export function writeRegistryLogin(
  logins: Array<{ registry: string } & Credentials>,
  base = runnerTemp(),
): RegistryLogin {
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, 'kubeline-docker-'));
  fs.chmodSync(dir, 0o700);
  const auths: Record<string, { auth: string }> = {};
  for (const l of logins) {
    addSecret(l.password);
    auths[l.registry === 'docker.io' ? 'https://index.docker.io/v1/' : l.registry] = {
      auth: Buffer.from(`${l.username}:${l.password}`).toString('base64'),
    };
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths }, null, 2), { mode: 0o600 });
  return { dockerConfig: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
