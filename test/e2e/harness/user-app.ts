// A user's application as the example pipelines expect it, on both platforms: a Dockerfile of a
// static busybox FROM scratch (no base image can be pulled here), a marker file whose change makes a
// new image, and the chart the deploy examples name (charts/web with values per environment), with
// what a test reads of it in the cluster.
import { copyFileSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../stack/paths.js';
import { stackTool } from './stack-env.js';
import { run } from './tools.js';

/** Writes the application's files into `dir`. */
export function writeUserApp(dir: string): void {
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\nENTRYPOINT ["/bin/busybox"]\n',
  );
  cpSync(join(repoRoot, 'test', 'fixtures', 'charts', 'web'), join(dir, 'charts', 'web'), {
    recursive: true,
  });
  writeFileSync(join(dir, 'charts', 'web', 'values-staging.yaml'), 'replicaCount: 1\n');
  writeFileSync(join(dir, 'charts', 'web', 'values-production.yaml'), 'replicaCount: 2\n');
}

export function git(dir: string, args: string[]) {
  return run(['git', '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', ...args], {}, { cwd: dir });
}

/** A new commit whose image differs (a new marker file): a push a user would make. */
export async function commitChange(dir: string, marker: string): Promise<string> {
  writeFileSync(join(dir, 'marker'), `${marker} ${Date.now()}\n`);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', marker]);
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

const kubectl = (args: string[]) => run([stackTool('kubectl'), ...args]);

/** The app's Deployment in `namespace`: `<image> <updated>/<ready>`. */
export async function deployedImage(namespace: string): Promise<string> {
  const { stdout } = await kubectl([
    ...['get', 'deployment', 'web', '-n', namespace, '-o'],
    'jsonpath={.spec.template.spec.containers[0].image} {.status.updatedReplicas}/{.status.readyReplicas}',
  ]);
  return stdout.trim();
}

/** The namespaces an example deploys to, deleted (with what a run before left) and made anew. */
export async function freshNamespaces(names: string[]): Promise<void> {
  await kubectl(['delete', 'namespace', ...names, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  for (const ns of names) await kubectl(['create', 'namespace', ns]);
}
