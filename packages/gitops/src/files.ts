// The files a promotion may edit: named relative to the repository root, regular files inside it.
// Symlinks are refused anywhere on the path (even ones pointing inside): the file edited is always
// the one named, and a link committed to the repository cannot redirect the write. A directory is
// refused too: the file in it is named explicitly, never guessed.
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError } from '@kubeline/runtime';
import { MAX_FILE_BYTES } from './yaml-source.js';

export interface TargetFile {
  /** The real path on disk. */
  absolute: string;
  /** Repository-relative, with forward slashes: for messages, commits and outputs. */
  display: string;
}

const ALLOWED = 'a file path relative to the repository root, e.g. apps/web/kustomization.yaml';

/** The path's segments, refusing what could leave the repository or is not a plain path. */
function segmentsOf(raw: string): string[] {
  // Control characters (NUL, newlines) never name a config file and would garble messages and git.
  if (raw.trim() === '' || [...raw].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    throw new InputError('path', raw, ALLOWED);
  if (path.posix.isAbsolute(raw) || path.win32.isAbsolute(raw) || raw.startsWith('~'))
    throw new InputError('path', raw, `${ALLOWED}; absolute paths are refused`);
  const segments = raw.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new InputError('path', raw, `${ALLOWED}; ".." is refused`);
  if (segments.includes('.git'))
    throw new InputError('path', raw, `${ALLOWED}; files under .git are refused`);
  if (segments.length === 0) throw new InputError('path', raw, ALLOWED);
  return segments;
}

function lstatOrMissing(p: string, display: string): fs.Stats {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new UserError(`path ${JSON.stringify(display)} does not exist in the repository`);
    throw e;
  }
}

/** Each component checked with lstat (never opened), so no symlink is followed and nothing blocks. */
function checkFile(root: string, segments: string[]): TargetFile {
  const display = segments.join('/');
  let at = root;
  for (const [i, segment] of segments.entries()) {
    at = path.join(at, segment);
    const st = lstatOrMissing(at, display);
    const shown = segments.slice(0, i + 1).join('/');
    if (st.isSymbolicLink())
      throw new UserError(
        `path ${JSON.stringify(display)}: ${shown} is a symbolic link, and links are not followed`,
      );
    if (i < segments.length - 1) {
      if (!st.isDirectory())
        throw new UserError(`path ${JSON.stringify(display)}: ${shown} is not a directory`);
      continue;
    }
    if (st.isDirectory())
      throw new UserError(`path ${JSON.stringify(display)} is a directory: ${inDirectory(at, display)}`);
    if (!st.isFile()) throw new UserError(`path ${JSON.stringify(display)} is not a regular file`);
    if (st.size > MAX_FILE_BYTES)
      throw new UserError(
        `path ${JSON.stringify(display)}: ${st.size} bytes is more than the ${MAX_FILE_BYTES} a config file may have`,
      );
  }
  return { absolute: at, display };
}

function inDirectory(dir: string, display: string): string {
  const k = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].find((n) =>
    fs.existsSync(path.join(dir, n)),
  );
  return k ? `name the file, e.g. ${display}/${k}` : 'name the file to edit in it';
}

export function resolveTargetFiles(repoDir: string, paths: string[]): TargetFile[] {
  const root = fs.realpathSync(repoDir);
  const seen = new Set<string>();
  return paths.map((raw) => {
    const file = checkFile(root, segmentsOf(raw));
    if (seen.has(file.display))
      throw new InputError('path', raw, `${ALLOWED}; ${file.display} is named twice`);
    seen.add(file.display);
    return file;
  });
}
