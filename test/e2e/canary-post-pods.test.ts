// canary-promote's post step after a SIGKILLed main step (GitLab after_script, GitHub post:), and the
// pods router (no traffic router: the canary's share of the replicas behind the stable Service).
import { afterEach, describe, expect, test } from '@jest/globals';
import { AppsV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import {
  canaryInputs,
  canaryState,
  canaryWeight,
  deploymentExists,
  runPost,
  spawnPromote,
  stableScene,
  waitForWeight,
  type Scene,
} from './canary.harness.js';

describe('canary-promote after its main step is killed, and by pod share', () => {
  const ns = useTestNamespace('canary-post');
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.stop();
    scene = undefined;
  });

  test('SIGKILL mid-step: the post step of that run reverts its traffic and canary, and frees the lease', async () => {
    scene = await stableScene(ns.name);
    const run = spawnPromote(canaryInputs(scene, { steps: '30,100', interval: '60s' }));
    await waitForWeight(ns.name, 30);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await canaryWeight(ns.name)).toBe(30);
    const post = await runPost(run);
    expect(post.code).toBe(0);
    expect(post.stderr).toMatch(/the main step left the canary of web at step 1 \(30%\): reverting it/);
    expect(await canaryWeight(ns.name)).toBe(0);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    const { holder, state } = await canaryState(ns.name);
    expect(holder).toBeUndefined();
    expect(state).toMatchObject({ phase: 'aborted', reason: 'reverted by the post step' });
    // A post step after a main step that finished changes nothing.
    const again = await runPost(run);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/reverting/);
  });

  test('router pods: the canary takes its share of replicas behind the stable Service, then stable takes its image', async () => {
    scene = await stableScene(ns.name, 4);
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const run = spawnPromote(
      canaryInputs(scene, { router: 'pods', steps: '20,50', interval: '5s', analysis: 'false' }),
    );
    const seen = new Set<number>();
    const deadline = Date.now() + 60_000;
    while (run.child.exitCode === null && Date.now() < deadline) {
      try {
        const c = await apps.readNamespacedDeployment({ name: 'web-canary', namespace: ns.name });
        seen.add(c.spec?.replicas ?? -1);
        // The canary's pods keep stable's labels: stable's Service selects them too.
        expect(c.spec?.selector?.matchLabels).toEqual({ app: 'web', 'kubeline.dev/track': 'canary' });
      } catch {
        // not created yet, or removed after promotion
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const code = await run.exited;
    if (code !== 0) throw new Error(`exited ${code}:\n${run.stderr()}`);
    // Created at 0; ⌈4 × 20 / 80⌉ = 1 replica at 20 %, 4 (as many as stable) at 50 %.
    expect([...seen].filter((n) => n > 0).sort()).toEqual([1, 4]);
    const stable = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(stable.spec?.template.spec?.containers[0]?.image).toBe(scene.canaryImage);
    expect(stable.spec?.replicas).toBe(4);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    const outputs = JSON.parse(run.stdout()) as Record<string, string>;
    expect(outputs).toMatchObject({ result: 'promoted', 'steps-completed': '2' });
  });
});
