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
