import fs from 'node:fs';
import path from 'node:path';
import { InputError, addSecret } from '@kubeline/runtime';

/** Where cosign finds a key: PEM text we write to a private file, a file the user has, or a KMS. */
export type KeySource =
  | { kind: 'none' }
  | { kind: 'pem'; pem: string; private: boolean }
  | { kind: 'file'; path: string }
  | { kind: 'kms'; uri: string };

// The key references cosign resolves itself (KMS providers, Kubernetes and GitLab secrets, tokens).
const KMS_URI = /^(awskms|gcpkms|azurekms|hashivault|k8s|gitlab):\/\/\S+$|^pkcs11:\S+$/;
const ALLOWED = 'give PEM content, the path of a key file, or a KMS URI (awskms://, gcpkms://, …)';

export function parseKeyInput(raw: string, name: string): KeySource {
  const text = raw.trim();
  if (text === '') return { kind: 'none' };
  if (text.includes('-----BEGIN ')) {
    const isPrivate = /PRIVATE KEY-----/.test(text);
    // Private PEM text is a secret; a public key is not, and masking it would hide it from reviews.
    if (isPrivate) addSecret(text);
    if (!/-----END [A-Z0-9 ]+-----/.test(text))
      throw new InputError(
        name,
        isPrivate ? '***' : text.slice(0, 40),
        `the PEM has no END line; ${ALLOWED}`,
      );
    return { kind: 'pem', pem: `${text}\n`, private: isPrivate };
  }
  if (KMS_URI.test(text)) return { kind: 'kms', uri: text };
  if (!fs.existsSync(text)) throw new InputError(name, text, `no such file; ${ALLOWED}`);
  if (!fs.statSync(text).isFile()) throw new InputError(name, text, `it is not a file; ${ALLOWED}`);
  return { kind: 'file', path: path.resolve(text) };
}

/** The `--key` argument for cosign; PEM text becomes a 0600 file in the private work dir. */
export function keyArgument(source: KeySource, workDir: string, fileName: string): string | undefined {
  switch (source.kind) {
    case 'none':
      return undefined;
    case 'file':
      return source.path;
    case 'kms':
      return source.uri;
    case 'pem':
      return writeKeyFile(path.join(workDir, fileName), source.pem);
  }
}

/**
 * One run's gates may need the same key more than once (signature, then scan attestation): the file
 * we wrote earlier is reused, but only when it is still a regular file holding exactly this key.
 */
function writeKeyFile(file: string, pem: string): string {
  try {
    // 'wx': a fresh file of our own, never one planted in its place.
    fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return file;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const stat = fs.lstatSync(file);
  const ours = stat.isFile() && (stat.mode & 0o077) === 0 && fs.readFileSync(file, 'utf8') === pem;
  if (!ours) throw new Error(`${file} already exists and does not hold this key; refusing to use it`);
  return file;
}
