// build-image (the committed bundle) against raw `docker buildx build --push` of the same context to the
// same registry through the same buildkitd: a cached rebuild of a small image (the worst case for a fixed
// overhead) and a full rebuild (--no-cache) of an image with a 32 MiB layer.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStackEnv, stackTool } from '../test/e2e/harness/stack-env.js';
import { ROOT } from '../test/support/processes.js';
import { interleaved, median, table, type Subject } from './measure.js';

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** A busybox FROM scratch context (Debian busybox-static), optionally with a layer of random bytes. */
function benchContext(dir: string, name: string, payloadBytes: number): string {
  const ctx = path.join(dir, name);
  fs.mkdirSync(ctx);
  fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
  fs.writeFileSync(path.join(ctx, 'payload'), crypto.randomBytes(payloadBytes));
  fs.writeFileSync(
    path.join(ctx, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY payload /payload\nENTRYPOINT ["/bin/busybox"]\n',
  );
  return ctx;
}

/** Returns the tables, one per workload, with the ratio of build-image to raw buildx. */
export function buildImageOverhead(runs: number): string {
  const stack = loadStackEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-build-'));
  const repo = `${stack.REGISTRY}/bench/build-image`;

  // Raw: the docker CLI with buildx as its plugin and a remote builder on the same buildkitd.
  const dockerConfig = path.join(dir, 'docker');
  fs.mkdirSync(path.join(dockerConfig, 'cli-plugins'), { recursive: true });
  fs.symlinkSync(stackTool('docker-buildx'), path.join(dockerConfig, 'cli-plugins', 'docker-buildx'));
  const rawEnv = { DOCKER_CONFIG: dockerConfig, BUILDX_BUILDER: 'bench' };
  must('docker', ['buildx', 'create', '--name', 'bench', '--driver', 'remote', stack.BUILDKIT_HOST], rawEnv);

  // build-image: its own temp dir and tool cache (buildx is installed from the stack's mirror in the warm-up).
  const actionEnv = {
    RUNNER_TEMP: path.join(dir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(dir, 'tool-cache'),
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR ?? '',
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST ?? '',
    BUILDKIT_HOST: stack.BUILDKIT_HOST,
    GITHUB_ACTIONS: '',
    GITLAB_CI: '',
    'INPUT_TAG-POLICY': 'mutable',
    // A fixed `created` label: the image stays the same from run to run, as raw buildx's does.
    SOURCE_DATE_EPOCH: '1700000000',
  };

  const bundle = path.join(ROOT, 'actions', 'build-image', 'dist', 'index.js');
  const small = benchContext(dir, 'small', 16);
  // Install buildx into the tool cache first (retried once), so no measured run downloads anything.
  const install = { ...actionEnv, INPUT_CONTEXT: small, INPUT_TAGS: `${repo}:kubeline` };
  const installed = [0, 1].some(
    () => spawnSync(process.execPath, [bundle], { env: { ...process.env, ...install } }).status === 0,
  );
  if (!installed) throw new Error('build-image could not install buildx from the stack mirror');

  const out: string[] = [];
  const workloads = [
    { title: 'cached rebuild, 2 MiB image', context: small, noCache: false },
    {
      title: 'full rebuild (--no-cache), 34 MiB image',
      context: benchContext(dir, 'large', 32 << 20),
      noCache: true,
    },
  ];
  for (const { title, context, noCache } of workloads) {
    // Both push without attestations to a tag of their own, re-pointed every run (build-image adds its
    // OCI labels, fixed by SOURCE_DATE_EPOCH).
    const raw = [
      'buildx', 'build', '--push', '--provenance=false', '--sbom=false', '--tag', `${repo}:raw`,
      ...(noCache ? ['--no-cache'] : []), context,
    ]; // prettier-ignore
    const subjects: Subject[] = [
      { name: 'docker buildx build --push', cmd: 'docker', args: raw, env: rawEnv },
      {
        name: 'build-image (bundle)',
        cmd: process.execPath,
        args: [bundle],
        env: {
          ...actionEnv,
          INPUT_CONTEXT: context,
          INPUT_TAGS: `${repo}:kubeline`,
          'INPUT_NO-CACHE': String(noCache),
        },
      },
    ];
    const times = interleaved(subjects, runs);
    out.push(table(`build-image: ${title}`, 'docker buildx build --push', times));
    const extra =
      median(times.get('build-image (bundle)')!) - median(times.get('docker buildx build --push')!);
    out.push(`  overhead: ${extra.toFixed(0)} ms per build`);
  }
  return out.join('\n');
}
