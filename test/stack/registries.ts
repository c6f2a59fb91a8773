// Two Debian docker-registry instances: an open one on :5000 and one with TLS + htpasswd on :5443.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { authRegistry, ports, registry } from './addresses.js';
import { runCommand } from './command.js';
import type { Daemon } from './component.js';
import { stackPassword } from './stack-password.js';
import { paths } from './paths.js';
import { pki } from './pki.js';
import { basicAuth, expectOk, httpGet } from './probes.js';

export const authRegistryUser = 'kubeline';
const passwordFile = join(paths.registry, 'password');
const htpasswdFile = join(paths.registry, 'htpasswd');

export const authRegistryPassword = () => stackPassword(passwordFile);

interface RegistryConfig {
  name: string;
  addr: string;
  tls?: { certificate: string; key: string };
  htpasswd?: string;
}

function writeRegistryConfig(config: RegistryConfig): string {
  const dir = join(paths.registry, config.name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    stringify({
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: config.addr, ...(config.tls ? { tls: config.tls } : {}) },
      ...(config.htpasswd ? { auth: { htpasswd: { realm: 'kubeline-stack', path: config.htpasswd } } } : {}),
    }),
  );
  return file;
}

export const openRegistry: Daemon = {
  kind: 'daemon',
  name: 'registry',
  ports: [ports.registry],
  startTimeoutMs: 20_000,
  async prepare() {
    const config = writeRegistryConfig({ name: 'open', addr: registry });
    return { argv: ['docker-registry', 'serve', config] };
  },
  async health() {
    await expectOk(`http://${registry}/v2/`);
    return registry;
  },
};

export const tlsAuthRegistry: Daemon = {
  kind: 'daemon',
  name: 'auth-registry',
  ports: [ports.authRegistry],
  startTimeoutMs: 20_000,
  async prepare() {
    // -B: bcrypt, the only hash Distribution accepts
    await runCommand(['htpasswd', '-B', '-b', '-c', htpasswdFile, authRegistryUser, authRegistryPassword()]);
    const config = writeRegistryConfig({
      name: 'auth',
      addr: authRegistry,
      tls: { certificate: pki.registry.cert, key: pki.registry.key },
      htpasswd: htpasswdFile,
    });
    return { argv: ['docker-registry', 'serve', config] };
  },
  async health() {
    const ca = readFileSync(pki.ca.cert);
    const anonymous = await httpGet(`https://${authRegistry}/v2/`, { ca });
    if (anonymous.status !== 401) throw new Error(`anonymous /v2/ answered ${anonymous.status}, want 401`);
    await expectOk(`https://${authRegistry}/v2/`, {
      ca,
      headers: basicAuth(authRegistryUser, authRegistryPassword()),
    });
    return `${authRegistry} (TLS, htpasswd)`;
  },
};
