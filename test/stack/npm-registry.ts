// The stack's npm registry: Verdaccio (from test/stack/npm-registry's lock, installed with `npm ci`,
// so every package is checked against the lock's integrity) on 127.0.0.1 with no uplink — nothing is
// proxied from the internet — and one htpasswd user; registration is off. Tests publish kubeline's
// package to it and install it with npx, as a GitLab component job does.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { host, ports, urls } from './addresses.js';
import { runCommand } from './command.js';
import type { Daemon } from './component.js';
import { cacheDir, paths, repoRoot } from './paths.js';
import { basicAuth, expectOk, httpGet } from './probes.js';
import { stackPassword } from './stack-password.js';

export const npmRegistryUser = 'kubeline';
const sourceDir = join(repoRoot, 'test', 'stack', 'npm-registry');
const passwordFile = join(paths.npmRegistry, 'password');

export const npmRegistryPassword = () => stackPassword(passwordFile);

/** Verdaccio's entry script, installed once per lock content into the cache. */
async function installVerdaccio(): Promise<string> {
  const lock = readFileSync(join(sourceDir, 'package-lock.json'));
  const dir = join(cacheDir, 'verdaccio', createHash('sha256').update(lock).digest('hex').slice(0, 16));
  const entry = join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (existsSync(entry)) return entry;
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const file of ['package.json', 'package-lock.json'])
    cpSync(join(sourceDir, file), join(staging, file));
  await runCommand(['npm', 'ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: staging,
    timeoutMs: 5 * 60_000,
  });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir); // a half-installed tree is never mistaken for a finished one
  return entry;
}

/** SHA-1 htpasswd (Verdaccio's htpasswd plugin reads {SHA}); the password is random per stack. */
function htpasswdLine(): string {
  const digest = createHash('sha1').update(npmRegistryPassword()).digest('base64');
  return `${npmRegistryUser}:{SHA}${digest}:kubeline stack\n`;
}

function config(): string {
  const dir = paths.npmRegistry;
  return [
    `storage: ${join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(dir, 'htpasswd')}`,
    '    max_users: -1',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $authenticated',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'web:',
    '  enable: false',
    'publish:',
    '  allow_offline: true',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n');
}

export const npmRegistry: Daemon = {
  kind: 'daemon',
  name: 'npm-registry',
  ports: [ports.npmRegistry],
  startTimeoutMs: 60_000,
  async prepare() {
    const entry = await installVerdaccio();
    mkdirSync(join(paths.npmRegistry, 'storage'), { recursive: true });
    writeFileSync(join(paths.npmRegistry, 'htpasswd'), htpasswdLine(), { mode: 0o600 });
    const configFile = join(paths.npmRegistry, 'config.yaml');
    writeFileSync(configFile, config(), { mode: 0o600 });
    return {
      argv: [process.execPath, entry, '--config', configFile, '--listen', `${host}:${ports.npmRegistry}`],
      cwd: paths.npmRegistry,
      env: { PATH: process.env.PATH, HOME: paths.npmRegistry },
    };
  },
  async health() {
    await expectOk(`${urls.npmRegistry}/-/ping`);
    // everything needs a login: anonymous 401, the stack's user gets 404 for a missing package
    const probe = `${urls.npmRegistry}/@kubeline%2fhealth-probe`;
    const anonymous = await httpGet(probe);
    if (anonymous.status !== 401)
      throw new Error(`anonymous package read answered ${anonymous.status}, want 401`);
    const user = await httpGet(probe, { headers: basicAuth(npmRegistryUser, npmRegistryPassword()) });
    if (user.status !== 404)
      throw new Error(`authenticated read of a missing package answered ${user.status}, want 404`);
    return `${urls.npmRegistry} (Verdaccio, no uplink, user ${npmRegistryUser})`;
  },
};
