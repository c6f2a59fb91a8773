// kubeline as its users get it from npm: the checkout packed with `npm pack`, published to the
// stack's Verdaccio (the real npm registry protocol on loopback) and run with the lockfile-free
// `npx --yes @kubeline/cli@<version>` the GitLab components use.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE, runProcess, type Ran } from '../../support/processes.js';
import { repoRoot } from '../../stack/paths.js';
import { scratchDir as tmp } from './scratch.js';
import { loadStackEnv } from './stack-env.js';

export const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
};
export const packageSpec = `${packageJson.name}@${packageJson.version}`;

export interface Packed {
  tarball: string;
  files: string[];
  /** sha512 subresource integrity of the tarball, as the registry reports it. */
  integrity: string;
  size: number;
  unpackedSize: number;
}

/** An environment in which npm/npx run on the project's Node 24 and know only the given npmrc. */
export function npmEnv(userconfig: string, home = tmp('kubeline-npm-home-')): NodeJS.ProcessEnv {
  return {
    PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}`,
    HOME: home,
    npm_config_userconfig: userconfig,
    npm_config_cache: join(home, '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
}

async function npm(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Ran> {
  return runProcess('npm', args, env, cwd);
}

export function must(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** `npm pack` of the checkout; the file list and integrity come from npm's own JSON report. */
export async function packCheckout(): Promise<Packed> {
  const out = tmp('kubeline-pack-');
  const r = must(
    await npm(['pack', '--json', '--pack-destination', out], npmEnv(join(out, '.npmrc')), repoRoot),
    'npm pack',
  );
  const [report] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
    integrity: string;
    size: number;
    unpackedSize: number;
  }[];
  const tarball = join(out, report!.filename);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (integrity !== report!.integrity)
    throw new Error(`npm pack reported ${report!.integrity}, file is ${integrity}`);
  return {
    tarball,
    files: report!.files.map((f) => f.path).sort(),
    integrity,
    size: report!.size,
    unpackedSize: report!.unpackedSize,
  };
}

/** Logs in to the stack's registry the way `npm login` does (CouchDB user PUT) and returns the token. */
export async function registryToken(): Promise<string> {
  const env = loadStackEnv();
  const user = env.NPM_REGISTRY_USER!;
  const password = env.NPM_REGISTRY_PASSWORD!;
  const res = await fetch(`${env.NPM_REGISTRY_URL}/-/user/org.couchdb.user:${user}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    },
    body: JSON.stringify({ name: user, password }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) throw new Error(`login to ${env.NPM_REGISTRY_URL} answered ${res.status}`);
  return body.token;
}

/** An npmrc that points every scope at the stack's registry with the token, written 0600. */
export function writeNpmrc(dir: string, token: string): string {
  const url = new URL(loadStackEnv().NPM_REGISTRY_URL!);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '.npmrc');
  const lines = [`registry=${url.href}`, `//${url.host}/:_authToken=${token}`, 'update-notifier=false', ''];
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}

/** What the registry serves for `spec` (undefined when it has no such version). */
export async function publishedIntegrity(spec: string, userconfig: string): Promise<string | undefined> {
  const r = await npm(['view', spec, 'dist.integrity'], npmEnv(userconfig), tmp('kubeline-npm-view-'));
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * Publishes the tarball so the registry serves exactly it: nothing to do when it already does; a
 * version left by an earlier run of another checkout is unpublished first (a test registry only).
 * Provenance needs a CI OIDC token, which only the release workflow has.
 */
export async function publishPackage(packed: Packed, userconfig: string): Promise<Ran[]> {
  const served = await publishedIntegrity(packageSpec, userconfig);
  if (served === packed.integrity) return [];
  const cwd = tmp('kubeline-npm-publish-');
  const env = npmEnv(userconfig);
  const runs: Ran[] = [];
  if (served) runs.push(must(await npm(['unpublish', packageSpec, '--force'], env, cwd), 'npm unpublish'));
  runs.push(must(await npm(['publish', packed.tarball, '--provenance=false'], env, cwd), 'npm publish'));
  return runs;
}
