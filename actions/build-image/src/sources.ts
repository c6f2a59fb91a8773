import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '@kubeline/runtime';

/** The context folder and Dockerfile as absolute paths; a missing one is named in the error. */
export function locateSources(context: string, file: string): { context: string; dockerfile: string } {
  const dir = path.resolve(context || '.');
  if (!fs.existsSync(dir)) throw new UserError(`build context ${dir} does not exist (input "context")`);
  if (!fs.statSync(dir).isDirectory())
    throw new UserError(`build context ${dir} is not a folder (input "context")`);
  // Like docker, a relative `file` is relative to the working directory, not to the context.
  const dockerfile = file ? path.resolve(file) : path.join(dir, 'Dockerfile');
  if (!fs.existsSync(dockerfile) || !fs.statSync(dockerfile).isFile())
    throw new UserError(`Dockerfile ${dockerfile} does not exist (input "file")`);
  return { context: dir, dockerfile };
}

/** The registry CA as a file: PEM text is written into the work folder, a path must exist. */
export function registryCaFile(value: string, workDir: string): string | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const file = path.join(workDir, 'registry-ca.pem');
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600 });
    return file;
  }
  const full = path.resolve(text);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile())
    throw new UserError(`${full} does not exist (input "registry-ca": a PEM certificate or the path of one)`);
  return full;
}
