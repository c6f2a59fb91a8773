import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, addSecret, exec } from '@kubeline/runtime';

export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** How long a credential helper (ECR, GCR, ACR, a desktop keychain) may take to answer. */
const HELPER_TIMEOUT_MS = 30_000;

/**
 * Credentials for a registry from docker's config.json, as docker itself finds them: the registry's
 * credential helper (`credHelpers`), else the default store (`credsStore`), else `auths[host].auth`
 * as `docker login` left it.
 */
export async function dockerConfigCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
  let config: DockerConfig;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
      : [registry, `https://${registry}`, `http://${registry}`];
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper) {
    const fromHelper = await helperCredentials(helper, keys[0]!);
    if (fromHelper) return fromHelper;
  }
  return authsCredentials(config, keys);
}

/** docker's credential-helper protocol: `docker-credential-<name> get`, the server on stdin. */
async function helperCredentials(helper: string, server: string): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper))
    throw new UserError(`docker config: credential helper ${JSON.stringify(helper)} is not a helper name`);
  const r = await exec(`docker-credential-${helper}`, ['get'], {
    input: server,
    silent: true,
    allowFailure: true,
    timeoutMs: HELPER_TIMEOUT_MS,
  }).catch((e: Error) => {
    throw new UserError(`docker credential helper docker-credential-${helper}: ${e.message}`);
  });
  // "credentials not found" is an answer: no login for this registry.
  if (r.code !== 0) return undefined;
  const answer = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
  return answer.Username && answer.Secret
    ? remember({ username: answer.Username, password: answer.Secret })
    : undefined;
}

function authsCredentials(config: DockerConfig, keys: string[]): Credentials | undefined {
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.username && entry.password)
      return remember({ username: entry.username, password: entry.password });
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return remember({ username: decoded.slice(0, i), password: decoded.slice(i + 1) });
    }
  }
  return undefined;
}

function remember(c: Credentials): Credentials {
  addSecret(c.password);
  return c;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme = '', rest = ''] = header.split(/ (.*)/s);
  const params: Record<string, string> = {};
  for (const m of rest.matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme: scheme.toLowerCase(), params };
}
