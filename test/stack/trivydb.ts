// trivy's vulnerability DB: built locally by the trivydb helper (test/stack/trivydb/) and pushed
// to the open registry as an OCI artifact, so trivy's real DB download path runs offline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { registry } from './addresses.js';
import { runCommand } from './command.js';
import type { Step } from './component.js';
import { repoRoot } from './paths.js';
import { httpGet } from './probes.js';

export const trivyDbRepository = `${registry}/kubeline/trivy-db:2`;
const publishScript = join(repoRoot, 'test', 'stack', 'trivydb', 'publish.sh');

async function dbManifestPresent(): Promise<boolean> {
  const res = await httpGet(`http://${registry}/v2/kubeline/trivy-db/manifests/2`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return res.status === 200;
}

export const trivyDb: Step = {
  kind: 'step',
  name: 'trivy-db',
  async ensure() {
    // HELPER(trivydb): publish.sh builds the small real DB once (cached by its sources' hash) and
    // pushes it to the repo given, skipping the push when the tag already holds that DB.
    if (!existsSync(publishScript))
      throw new Error(`${publishScript} missing (trivydb helper not delivered yet)`);
    await runCommand(['bash', publishScript, trivyDbRepository], { timeoutMs: 30 * 60_000 });
  },
  async health() {
    if (!(await dbManifestPresent())) throw new Error(`${trivyDbRepository} not in the registry`);
    return trivyDbRepository;
  },
};
