// Go-built binaries come from test/stack/gobin/build.sh (cached by version); Debian ones from PATH.
import { runCommand } from './command.js';
import { paths } from './paths.js';

export const gobinNames = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'buildkitd',
  'buildctl',
  'docker-buildx',
  'trivy',
  'cosign',
  'cosign3',
  'source-controller',
  'kustomize-controller',
  'helm-controller',
] as const;
export type GobinName = (typeof gobinNames)[number];

const resolved = new Map<GobinName, string>();

async function printPath(name: GobinName): Promise<string | undefined> {
  try {
    return (await runCommand(['bash', paths.gobinScript, '--print-path', name])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** Path of a cached Go binary; throws when it has not been built. */
export async function gobin(name: GobinName): Promise<string> {
  const known = resolved.get(name);
  if (known) return known;
  const path = await printPath(name);
  if (!path) throw new Error(`${name} is not built: run bash test/stack/gobin/build.sh ${name}`);
  resolved.set(name, path);
  return path;
}

/** Builds whatever is missing (build.sh serialises concurrent builds on its own lock). */
export async function ensureGobins(log: (line: string) => void): Promise<void> {
  const missing: GobinName[] = [];
  for (const name of gobinNames) if (!(await printPath(name))) missing.push(name);
  if (missing.length === 0) return;
  log(`building ${missing.join(', ')} with Go (first run only; cached by version)`);
  await runCommand(['bash', paths.gobinScript, ...missing], { timeoutMs: 90 * 60_000 });
}

/** "name version" pairs as build.sh pins them. */
export async function gobinVersions(): Promise<Map<string, string>> {
  const { stdout } = await runCommand(['bash', paths.gobinScript, '--list']);
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}
