// The stack's certificates, made with openssl once and reused: one CA signs the apiserver's,
// the control-plane clients' and the auth registry's certificates.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { paths } from './paths.js';

export interface KeyPair {
  cert: string;
  key: string;
}

interface LeafRequest {
  name: string;
  subject: string;
  usage: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth';
  altNames?: string[];
}

const file = (name: string) => join(paths.pki, name);

export const pki = {
  ca: { cert: file('ca.crt'), key: file('ca.key') },
  apiserver: { cert: file('apiserver.crt'), key: file('apiserver.key') },
  admin: { cert: file('admin.crt'), key: file('admin.key') },
  controllerManager: { cert: file('controller-manager.crt'), key: file('controller-manager.key') },
  scheduler: { cert: file('scheduler.crt'), key: file('scheduler.key') },
  registry: { cert: file('registry.crt'), key: file('registry.key') },
  serviceAccount: { key: file('sa.key'), pub: file('sa.pub') },
} as const;

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const serial = () => `0x${randomBytes(16).toString('hex')}`;

async function ensureCa(): Promise<void> {
  if (existsSync(pki.ca.cert) && existsSync(pki.ca.key)) return;
  await runCommand([
    'openssl',
    'req',
    '-x509',
    '-new',
    ...ecKey,
    '-keyout',
    pki.ca.key,
    '-out',
    pki.ca.cert,
    '-days',
    '3650',
    '-subj',
    '/CN=kubeline-stack-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function ensureLeaf(pair: KeyPair, request: LeafRequest): Promise<void> {
  if (existsSync(pair.cert) && existsSync(pair.key)) return;
  const csr = file(`${request.name}.csr`);
  const ext = file(`${request.name}.ext`);
  const lines = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${request.usage}`,
  ];
  if (request.altNames) lines.push(`subjectAltName=${request.altNames.join(',')}`);
  writeFileSync(ext, lines.join('\n') + '\n');
  await runCommand([
    'openssl',
    'req',
    '-new',
    ...ecKey,
    '-keyout',
    pair.key,
    '-out',
    csr,
    '-subj',
    request.subject,
  ]);
  await runCommand([
    'openssl',
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.ca.cert,
    '-CAkey',
    pki.ca.key,
    '-set_serial',
    serial(),
    '-days',
    '3650',
    '-extfile',
    ext,
    '-out',
    pair.cert,
  ]);
  rmSync(csr);
  rmSync(ext);
}

async function ensureServiceAccountKey(): Promise<void> {
  if (existsSync(pki.serviceAccount.key) && existsSync(pki.serviceAccount.pub)) return;
  await runCommand(['openssl', 'genrsa', '-out', pki.serviceAccount.key, '2048']);
  await runCommand([
    'openssl',
    'rsa',
    '-in',
    pki.serviceAccount.key,
    '-pubout',
    '-out',
    pki.serviceAccount.pub,
  ]);
}

export async function ensurePki(): Promise<void> {
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  await ensureCa();
  const apiserverNames = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'localhost',
  ].map((n) => `DNS:${n}`);
  await Promise.all([
    ensureLeaf(pki.apiserver, {
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      usage: 'serverAuth',
      altNames: ['IP:127.0.0.1', 'IP:10.96.0.1', ...apiserverNames],
    }),
    ensureLeaf(pki.admin, {
      name: 'admin',
      subject: '/O=system:masters/CN=kubeline-admin',
      usage: 'clientAuth',
    }),
    ensureLeaf(pki.controllerManager, {
      name: 'controller-manager',
      subject: '/CN=system:kube-controller-manager',
      usage: 'clientAuth',
    }),
    ensureLeaf(pki.scheduler, {
      name: 'scheduler',
      subject: '/CN=system:kube-scheduler',
      usage: 'clientAuth',
    }),
    ensureLeaf(pki.registry, {
      name: 'registry',
      subject: '/CN=127.0.0.1',
      usage: 'serverAuth',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
    }),
    ensureServiceAccountKey(),
  ]);
}
