import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@kubeline/runtime';

/** Like docker, a registry on the loopback interface may speak plain HTTP or untrusted TLS. */
export function isLoopbackRegistry(registry: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry);
}

/**
 * The `registry-ca` input as a file every tool can read: PEM text is written 0600 into the
 * caller's private work folder (removed with it); a path must name an existing file.
 */
export function registryCaFile(
  value: string,
  workDir: string,
  inputName = 'registry-ca',
): string | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (text.startsWith('-----BEGIN')) {
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const file = path.join(workDir, 'registry-ca.pem');
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  }
  const full = path.resolve(text);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile())
    throw new InputError(inputName, text, 'give a PEM certificate or the path of an existing one');
  return full;
}
