import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addSecret } from '@kubeline/runtime';

export interface Credentials {
  username: string;
  password: string;
}

/** Credentials for a registry from docker's config.json (`auths[host].auth`), as `docker login` left them. */
export function dockerConfigCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Credentials | undefined {
  const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
      : [registry, `https://${registry}`, `http://${registry}`];
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
