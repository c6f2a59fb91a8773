// canary-promote's signature gate: real images built with buildx and pushed to the stack's registry,
// one signed with cosign and a generated key (offline: no transparency log). An unsigned digest is
// refused before anything is created or any traffic moves.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { useTestNamespace } from './harness/kube.js';
import { stackTool } from './harness/stack-env.js';
import { freshDockerConfig, run } from './harness/tools.js';
import {
  canaryInputs,
  deploymentExists,
  promote,
  routeRefs,
  stableScene,
  type Scene,
} from './canary.harness.js';
import { env, failedOneLine, succeeded, tmp, unique } from './helm-deploy.harness.js';

const PASSWORD = `pw-${unique()}`;
const name = `${env.REGISTRY}/e2e/canary-gate`;
let keys: string;
let signed: string;
let unsigned: string;

beforeAll(async () => {
  const docker = await freshDockerConfig('canary-gates');
  const cosignEnv = {
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    COSIGN_PASSWORD: PASSWORD,
    TUF_ROOT: tmp('kubeline-cg-tuf-'),
    ...docker,
  };
  keys = tmp('kubeline-cg-keys-');
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: keys });
  const tag = unique();
  signed = await buildAndPush(busyboxContext(`canary-signed-${tag}`), [`${name}:signed-${tag}`], docker);
  unsigned = await buildAndPush(
    busyboxContext(`canary-unsigned-${tag}`),
    [`${name}:unsigned-${tag}`],
    docker,
  );
  await run(
    [
      stackTool('cosign'),
      'sign',
      '--yes',
      '--recursive',
      '--key',
      join(keys, 'cosign.key'),
      '--tlog-upload=false',
      '--use-signing-config=false',
      `${name}@${signed}`,
    ],
    cosignEnv,
  );
}, 300_000);

describe('canary-promote require-signature', () => {
  const ns = useTestNamespace('canary-gate');
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.stop();
    scene = undefined;
  });
  const gate = {
    'require-signature': 'true',
    'signature-key': '',
    'signature-transparency-log': 'false',
    analysis: 'false',
    steps: '100',
    interval: '5s',
  };

  test('an unsigned digest is refused before anything is created; a signed one is rolled out', async () => {
    scene = await stableScene(ns.name);
    const key = join(keys, 'cosign.pub');
    const refused = await promote(
      canaryInputs(scene, { ...gate, 'signature-key': key, image: `${name}@${unsigned}` }),
    );
    expect(failedOneLine(refused)).toBe(
      `error: canary-promote: require-signature: ${name}@${unsigned} is not signed by key cosign.pub: no signature found; no canary was started and no traffic moved`,
    );
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    expect((await routeRefs(ns.name)).map((r) => r.name)).toEqual(['web']);

    const r = await promote(
      canaryInputs(scene, { ...gate, 'signature-key': key, image: `${name}@${signed}` }),
    );
    succeeded(r);
    expect(r.stderr).toMatch(/signature gate: \d digest\(s\) verified with key cosign\.pub/);
    expect(r.outputs).toMatchObject({ result: 'promoted', 'stable-image': `${name}@${signed}` });
  });
});
