import fs from 'node:fs';
import path from 'node:path';
import type { BuildRequest } from './builder.js';

/** A folder holding the registry CA as `ca.crt`: the layout buildah's --cert-dir reads. */
export function caDir(req: BuildRequest): string | undefined {
  if (!req.registryCa) return undefined;
  const dir = path.join(req.workDir, 'certs');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.copyFileSync(req.registryCa, path.join(dir, 'ca.crt'));
  }
  return dir;
}

/** Go programs (buildx's registry calls) trust the CA next to the system ones through SSL_CERT_DIR. */
export function trustedCaEnv(req: BuildRequest): Record<string, string> {
  const dir = caDir(req);
  if (!dir) return {};
  const system = ['/etc/ssl/certs', '/etc/pki/tls/certs'].filter((d) => fs.existsSync(d));
  return { SSL_CERT_DIR: [dir, ...system].join(':') };
}
