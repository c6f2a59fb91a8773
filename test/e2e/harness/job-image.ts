// The job image (Containerfile) built as the release builds it, on the stack's BuildKit. Its base,
// node:24-bookworm-slim, cannot be pulled here, so a stand-in with what the Containerfile asks of a
// base — Node 24 and a POSIX shell (plus GNU tar and gzip, which the tool cache extracts with, bash,
// which gitlab-ci-local's helper container runs, and npm/npx, as in the official node images) — is
// assembled from this machine's files and pushed to the stack's registry.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE } from '../../support/processes.js';
import { repoRoot } from '../../stack/paths.js';
import { buildAndPush } from './images.js';
import { copyBinaryWithLibraries } from './rootfs.js';
import { scratchDir } from './scratch.js';

const hostBinaries = {
  '/usr/local/bin/node': realpathSync(NODE),
  '/bin/tar': '/bin/tar',
  '/bin/gzip': '/bin/gzip',
  '/bin/bash': '/bin/bash',
  // git, which the Containerfile installs from Debian on a Debian base
  '/usr/bin/git': '/usr/bin/git',
  '/usr/lib/git-core/git-remote-http': '/usr/lib/git-core/git-remote-http',
};

/**
 * npm (pure JavaScript) where the node images keep it, so a job can start kubeline with
 * `npx --yes @kubeline/cli@<version>` as in an image of the user's own.
 */
function addNpm(root: string): void {
  const npmCli = realpathSync(execFileSync('which', ['npm'], { encoding: 'utf8' }).trim());
  const modules = join(root, 'usr', 'local', 'lib', 'node_modules');
  mkdirSync(modules, { recursive: true });
  cpSync(dirname(dirname(npmCli)), join(modules, 'npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr', 'local', 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr', 'local', 'bin', 'npx'));
}

/** A build context for the stand-in base: Node 24, busybox as /bin/sh, GNU tar, gzip, bash, git, npm. */
function nodeBaseContext(): string {
  const dir = scratchDir('node-base');
  const root = join(dir, 'rootfs');
  for (const [target, source] of Object.entries(hostBinaries)) copyBinaryWithLibraries(root, target, source);
  copyBinaryWithLibraries(root, '/bin/busybox', '/bin/busybox'); // Debian busybox-static: no libraries
  symlinkSync('git-remote-http', join(root, 'usr', 'lib', 'git-core', 'git-remote-https'));
  addNpm(root);
  // scripts start with `#!/usr/bin/env node`, as on Debian
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  symlinkSync('/bin/busybox', join(root, 'usr', 'bin', 'env'));
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY rootfs/ /',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Pushes the stand-in base and returns it by digest. */
export async function pushNodeBase(repository: string, docker: Record<string, string>): Promise<string> {
  const digest = await buildAndPush(nodeBaseContext(), [`${repository}:24-stand-in`], docker);
  return `${repository}@${digest}`;
}

export interface JobImageBuild {
  ref: string;
  digest: string;
  seconds: number;
}

/**
 * `docker buildx build -f Containerfile` of this checkout, tools from the stack's mirror under the
 * pins of `manifestDir/manifest.json` (the `tools-manifest` build context).
 */
export async function buildJobImage(o: {
  base: string;
  ref: string;
  mirror: string;
  manifestDir: string;
  docker: Record<string, string>;
}): Promise<JobImageBuild> {
  const started = process.hrtime.bigint();
  const digest = await buildAndPush(repoRoot, [o.ref], o.docker, [
    '--file',
    join(repoRoot, 'Containerfile'),
    '--build-arg',
    `NODE_IMAGE=${o.base}`,
    '--build-arg',
    `KUBELINE_TOOLS_MIRROR=${o.mirror}`,
    '--build-context',
    `tools-manifest=${o.manifestDir}`,
  ]);
  return { ref: o.ref, digest, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
