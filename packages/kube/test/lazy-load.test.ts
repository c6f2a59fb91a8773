import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

// An action that exits before reaching the cluster must not pay for loading client-node.
it('importing @kubeline/kube does not load @kubernetes/client-node; loadClientNode does', () => {
  const probe = spawnSync(
    path.join(root, 'node_modules/.bin/node'),
    ['--import', 'tsx', path.join(here, 'fixtures/import-probe.mts')],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  expect(probe.stderr).toBe('');
  expect(JSON.parse(probe.stdout)).toEqual({ afterImport: [], afterLoad: ['@kubernetes/client-node'] });
});
