import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const only = 'packages/kube/src/client-node.ts';

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

function actionSourceDirs(): string[] {
  const dirs = ['actions', 'packages'].flatMap((top) =>
    readdirSync(path.join(root, top)).map((name) => `${top}/${name}/src`),
  );
  return dirs.filter((d) => {
    try {
      readdirSync(path.join(root, d));
      return true;
    } catch {
      return false;
    }
  });
}

// A value import of the package elsewhere would bring every API group back into the bundles.
it(`client-node is loaded at run time only through ${only}`, () => {
  const valueImport =
    /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+'@kubernetes\/client-node'|import\('@kubernetes\/client-node'\)/m;
  const offenders = actionSourceDirs()
    .flatMap(sources)
    .filter((f) => f !== only && valueImport.test(readFileSync(path.join(root, f), 'utf8')));
  expect(offenders).toEqual([]);
  expect(readFileSync(path.join(root, only), 'utf8')).toMatch(valueImport);
});

// What the named parts buy: the bundles that talk to a cluster carry the API groups kubeline calls
// and not the others (batch is one kubeline never calls).
it.each(['helm-deploy', 'rollback', 'canary-promote', 'gitops-promote'])(
  '%s bundle holds the used API groups only',
  (action) => {
    const dist = path.join(root, 'actions', action, 'dist');
    const code = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(path.join(dist, f), 'utf8'))
      .join('\n');
    const holds = (apiPath: string) => code.includes(apiPath);
    expect({
      leases: holds('/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases'),
      cronjobs: holds('/apis/batch/v1/namespaces/{namespace}/cronjobs'),
    }).toEqual({ leases: true, cronjobs: false });
  },
);
