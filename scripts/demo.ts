// npm run demo: the README's main job. On the local stack, from source to a running, signed, verified
// release — then a broken release that helm-deploy refuses with a diagnosis, and an explicit rollback.
// Every step is a kubeline action run through its CLI, exactly as a GitLab job or a terminal runs it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from '../test/stack/env-file.js';
import { ROOT } from './actions.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-demo-'));
const started = Date.now();

function banner(text: string): void {
  console.log(`\n${bold(`━━ ${text}`)}`);
}

function stackUp(): Record<string, string> {
  banner('the local stack (npm run stack:up)');
  const up = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/stack/cli.ts', 'up'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (up.status !== 0) throw new Error('stack:up failed (see above)');
  return parseEnv(fs.readFileSync(path.join(ROOT, '.stack', 'env'), 'utf8')) as Record<string, string>;
}

interface StepResult {
  code: number;
  outputs: Record<string, string>;
}

/** Runs one action through the CLI; its log streams to the terminal, then its summary is printed. */
async function action(
  title: string,
  name: string,
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<StepResult> {
  banner(title);
  const summary = path.join(work, `${name}-${Date.now()}.md`);
  const args = [
    path.join(ROOT, 'bin', 'kubeline.js'),
    name,
    ...Object.entries(inputs).flatMap(([k, v]) => [`--${k}`, v]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, KUBELINE_SUMMARY_FILE: summary },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (fs.existsSync(summary)) console.log(`\n${fs.readFileSync(summary, 'utf8').trim()}`);
  let outputs: Record<string, string> = {};
  try {
    outputs = JSON.parse(stdout) as Record<string, string>;
  } catch {
    // a failed step may print nothing
  }
  // The post step cleans up what main wrote (kubeconfig, keys, registry logins), as a runner would.
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kubeline.js'), name, 'post'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  return { code, outputs };
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`demo expectation failed: ${what}`);
  console.log(`✔ ${what}`);
}

async function main(): Promise<void> {
  const stack = stackUp();
  const env: NodeJS.ProcessEnv = {
    RUNNER_TEMP: path.join(work, 'runner'),
    KUBELINE_STATE_DIR: path.join(work, 'state'),
    // The actions install their tools from the stack's mirror: the same verified download path.
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST,
    DOCKER_HOST: stack.DOCKER_HOST,
    DOCKER_CONFIG: path.join(work, 'docker'),
  };
  fs.mkdirSync(env.DOCKER_CONFIG!, { recursive: true });
  const repo = `${stack.REGISTRY}/kubeline-demo/web`;
  const run = `demo-${Date.now().toString(36)}`;
  const namespace = 'kubeline-demo';
  const cluster = {
    kubeconfig: stack.KUBECONFIG!,
    namespace,
    'create-namespace': 'true',
    'helm-version': '4',
  };

  // A signing key for this demo, as a team would keep in its secret store.
  const cosign = path.join(stack.STACK_BIN!, 'cosign');
  const keyPassword = `demo-${Math.random().toString(36).slice(2)}`;
  spawnSync(cosign, ['generate-key-pair', '--output-key-prefix', path.join(work, 'cosign')], {
    env: { ...process.env, COSIGN_PASSWORD: keyPassword },
    stdio: 'ignore',
  });
  expect(fs.existsSync(path.join(work, 'cosign.key')), 'a cosign key pair was generated for the demo');

  const build = await action(
    '1. build-image: the demo app, BuildKit, pushed, by digest',
    'build-image',
    {
      context: 'examples/demo-app',
      repository: repo,
      tags: `${run}-good`,
      'buildkit-host': stack.BUILDKIT_HOST!,
    },
    env,
  );
  expect(
    build.code === 0 && /^sha256:[a-f0-9]{64}$/.test(build.outputs.digest ?? ''),
    `built and pushed ${build.outputs.image}`,
  );
  const goodImage = build.outputs['image-json']!;

  const scan = await action(
    '2. trivy-scan: the pushed digest, with the local vulnerability DB',
    'trivy-scan',
    {
      image: goodImage,
      formats: 'json,sarif',
      'db-repository': stack.TRIVY_DB_REPOSITORY!,
      'output-dir': path.join(work, 'scan'),
    },
    env,
  );
  expect(
    scan.code === 0 && scan.outputs.passed === 'true',
    `scan passed (critical: ${scan.outputs.critical})`,
  );

  const sign = await action(
    '3. cosign-sign: sign the digest, then verify it',
    'cosign-sign',
    {
      image: goodImage,
      key: path.join(work, 'cosign.key'),
      password: keyPassword,
      'transparency-log': 'false',
    },
    env,
  );
  expect(sign.code === 0 && sign.outputs.verified === 'true', 'signed and verified by digest');

  const gate = {
    'require-signature': 'true',
    'signature-key': path.join(work, 'cosign.pub'),
    'signature-transparency-log': 'false',
    'require-scan': scan.outputs['json-report']!,
  };
  const deploy = await action(
    '4. helm-deploy (Helm 4): only a signed, scanned digest goes in',
    'helm-deploy',
    {
      ...cluster,
      release: 'web',
      chart: 'examples/demo-app/chart',
      image: goodImage,
      ...gate,
      timeout: '90s',
    },
    env,
  );
  expect(
    deploy.code === 0 && deploy.outputs.status === 'deployed',
    `release web revision ${deploy.outputs.revision} is deployed and Available`,
  );
  expect(
    deploy.outputs['image-digest'] === build.outputs.digest,
    'the cluster runs exactly the built digest',
  );

  const broken = await action(
    '5. a broken release: its pods never become Ready',
    'helm-deploy',
    {
      ...cluster,
      release: 'web',
      chart: 'examples/demo-app/chart',
      image: goodImage,
      set: 'failReadiness=true',
      timeout: '20s',
    },
    env,
  );
  expect(broken.code === 1, 'helm-deploy failed the broken release (diagnosis above) and rolled it back');

  const rollback = await action(
    '6. rollback to last-good, explicitly',
    'rollback',
    { kubeconfig: cluster.kubeconfig, namespace, 'helm-version': '4', release: 'web', to: 'last-good' },
    env,
  );
  expect(
    rollback.code === 0,
    `rolled back from revision ${rollback.outputs['from-revision']} to ${rollback.outputs['to-revision']}`,
  );
  expect(rollback.outputs['image-digest'] === build.outputs.digest, 'the good digest is what runs now');

  banner(
    `demo finished in ${Math.round((Date.now() - started) / 1000)}s — the stack keeps running (npm run stack:down stops it)`,
  );
}

main().catch((e: Error) => {
  console.error(`\n✘ ${e.message}`);
  process.exit(1);
});
