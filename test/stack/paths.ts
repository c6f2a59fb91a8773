// Every file location of the test stack, in one place.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const stackDir = join(repoRoot, '.stack');
export const cacheDir = process.env.KUBELINE_CACHE ?? join(homedir(), '.cache', 'kubeline');

export const paths = {
  env: join(stackDir, 'env'),
  pids: join(stackDir, 'pids'),
  logs: join(stackDir, 'logs'),
  pki: join(stackDir, 'pki'),
  kube: join(stackDir, 'kube'),
  registry: join(stackDir, 'registry'),
  docker: join(stackDir, 'docker'),
  dockerConfig: join(stackDir, 'docker', 'config'),
  dockerSock: join(stackDir, 'docker.sock'),
  buildkit: join(stackDir, 'buildkit'),
  buildkitSock: join(stackDir, 'buildkitd.sock'),
  prometheus: join(stackDir, 'prometheus'),
  promTargets: join(stackDir, 'prometheus', 'targets'),
  mirror: join(stackDir, 'mirror'),
  bin: join(stackDir, 'bin'),
  git: join(stackDir, 'git'),
  gitServer: join(stackDir, 'git-server'),
  sshServer: join(stackDir, 'ssh-server'),
  npmRegistry: join(stackDir, 'npm-registry'),
  flux: join(stackDir, 'flux'),
  gobinScript: join(repoRoot, 'test', 'stack', 'gobin', 'build.sh'),
  installDebian: join(repoRoot, 'test', 'stack', 'install-debian.sh'),
} as const;

export function logFile(component: string): string {
  return join(paths.logs, `${component}.log`);
}
