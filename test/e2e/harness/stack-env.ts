// Where the e2e tests find the stack: .stack/env from `npm run stack:up`, or — with
// KUBELINE_E2E_EXTERNAL=1 (a kind cluster on a GitHub runner) — the same keys from the environment.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '../../stack/env-file.js';
import { paths } from '../../stack/paths.js';

export const requiredKeys = [
  'KUBECONFIG',
  'KUBECONFIG_LIMITED',
  'LIMITED_NAMESPACE',
  'REGISTRY',
  'AUTH_REGISTRY',
  'AUTH_REGISTRY_USER',
  'AUTH_REGISTRY_PASSWORD',
  'AUTH_REGISTRY_CA',
  'PROMETHEUS_URL',
  'PROMETHEUS_TARGETS_DIR',
  'DOCKER_HOST',
  'BUILDKIT_HOST',
  'TRIVY_DB_REPOSITORY',
  'STACK_BIN',
  'TOOLS_MIRROR',
  'TOOLS_MANIFEST',
] as const;
export type StackKey = (typeof requiredKeys)[number];
export type StackEnv = Record<StackKey, string> & Record<string, string | undefined>;

export const isExternal = () => process.env.KUBELINE_E2E_EXTERNAL === '1';

function pick(source: Record<string, string | undefined>, origin: string): StackEnv {
  const missing = requiredKeys.filter((key) => !source[key]);
  if (missing.length > 0) throw new Error(`${origin} lacks ${missing.join(', ')}`);
  return source as StackEnv;
}

let cached: StackEnv | undefined;

export function loadStackEnv(): StackEnv {
  if (cached) return cached;
  if (isExternal()) {
    cached = pick(process.env, 'KUBELINE_E2E_EXTERNAL=1 environment');
  } else {
    if (!existsSync(paths.env)) throw new Error(`${paths.env} missing: run npm run stack:up`);
    cached = pick(parseEnv(readFileSync(paths.env, 'utf8')), paths.env);
  }
  return cached;
}

/** A tool the stack installed ($STACK_BIN/<name>). */
export function stackTool(
  name: 'kubectl' | 'helm3' | 'helm4' | 'trivy' | 'cosign' | 'cosign2' | 'docker-buildx',
): string {
  return join(loadStackEnv().STACK_BIN, name);
}

/** Environment for child processes: the stack's keys over the test's own environment. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...loadStackEnv(), ...extra };
}
