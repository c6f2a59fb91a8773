// The async half of the gitops bench: bench/gitops.ts runs this (`gitops-scene.ts <runs> <interval>`)
// and reads the JSON it prints last. A scene is a config repository on the stack's Git server, a
// GitRepository polling it every <interval>, a Kustomization `apps` applying it into a fresh
// namespace, and a Deployment `web` (2 kwok pods). Each run promotes a new made-up digest, by
// gitops-promote's bundle or by hand (git CLI + kubectl), both waiting with one read-only kubeconfig.
//
// The split is measured around both subjects by the same observer, not read from the action's
// summary: the summary rounds to 0.1 s or whole seconds and the raw script has none. Git = start →
// the push landed (the line each prints right after it); controller = push → this process's watch
// sees the Kustomization's lastAppliedRevision move to the commit; rollout = applied → the subject
// reports healthy (exits 0). The summary's own "commit and push" and "push → healthy" are kept as a
// cross-check.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  createGitCredentials,
  createRepo,
  followWithFlux,
  gitEnv,
  gitServer,
  revisionOf,
  waitForFlux,
  type CreatedRepo,
} from '../test/e2e/harness/gitops.js';
import { adminKubeConfig } from '../test/e2e/harness/kube-config.js';
import { readOnlyKubeconfig } from '../test/e2e/harness/read-only.js';
import { loadStackEnv } from '../test/e2e/harness/stack-env.js';
import { isRolledOut, waitForDeployment } from '../test/e2e/harness/watch.js';
import { NODE, ROOT } from '../test/support/processes.js';

/** One promotion, each part in ms; the parts sum to `totalMs`. */
export interface Split {
  totalMs: number;
  gitMs: number;
  controllerMs: number;
  rolloutMs: number;
}

export interface GitopsRun {
  kubeline: Split & {
    /** The action's own summary rows, as printed (e.g. "1.2s"): commit and push, push → healthy. */
    summaryGit: string;
    summaryHealthy: string;
  };
  raw: Split;
}

const stack = loadStackEnv();
const kubectl = join(stack.STACK_BIN, 'kubectl');
const admin = adminKubeConfig();
const NAME = '127.0.0.1:5000/bench/gitops-web';
const OVERLAY = 'apps/web/kustomization.yaml';
const log = (line: string) => process.stderr.write(`gitops bench: ${line}\n`);
const newDigest = () => `sha256:${randomBytes(32).toString('hex')}`;

const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: ${NAME}
    newTag: "1.0"
`;

const DEPLOYMENT = stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 60,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: `${NAME}:1.0` }] },
    },
  },
});

interface Scene {
  ns: string;
  repo: CreatedRepo;
  /** Read-only kubeconfig content for the namespace. */
  reader: string;
  temp: string;
}

let open: { ns: string; repo?: CreatedRepo; temp: string } | undefined;

async function closeScene(): Promise<void> {
  const s = open;
  open = undefined;
  if (!s) return;
  const core = admin.makeApiClient(CoreV1Api);
  await core.deleteNamespace({ name: s.ns }).catch(() => undefined);
  // Flux's finalizer prunes the Deployment first; the namespace goes within seconds
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const gone = await core.readNamespace({ name: s.ns }).then(
      () => false,
      (e: { code?: number }) => e.code === 404,
    );
    if (gone) break;
    await sleep(1_000);
  }
  if (s.repo) rmSync(join(gitServer().root, `${s.repo.name}.git`), { recursive: true, force: true });
  // bench/ on the Git server, once no other bench's repository is in it
  try {
    if (s.repo) rmdirSync(join(gitServer().root, 'bench'));
  } catch {
    // not empty: another bench's repository is there
  }
  rmSync(s.temp, { recursive: true, force: true });
}

async function startScene(interval: string): Promise<Scene> {
  const ns = `bench-gitops-${randomBytes(3).toString('hex')}`;
  const temp = mkdtempSync(join(tmpdir(), 'kubeline-bench-gitops-'));
  open = { ns, temp };
  await admin.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name: ns, labels: { 'kubeline.dev/bench': 'true' } } },
  });
  const repo = await createRepo(`bench/${ns}`, {
    [OVERLAY]: KUSTOMIZATION,
    'apps/web/deployment.yaml': DEPLOYMENT,
  });
  open.repo = repo;
  const secret = await createGitCredentials(admin, ns);
  await followWithFlux(admin, ns, repo, secret, interval);
  await waitForDeployment(admin, ns, 'web', 'rolled out', isRolledOut, 120_000);
  const reader = await readOnlyKubeconfig(ns);
  return { ns, repo, reader, temp };
}

interface Timed {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  /** When the first stderr line matching `pushed` arrived, and the commit it names. */
  pushedAt?: number;
  commit?: string;
  exitedAt: number;
}

/** Runs a process, timestamping the stderr line that says the push landed (`pushed <sha>`). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, pushed: RegExp): Promise<Timed> {
  const startedAt = Date.now();
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const t: Omit<Timed, 'code' | 'exitedAt'> = { stdout: '', stderr: '', startedAt };
  child.stdout.on('data', (d: Buffer) => (t.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    t.stderr += d.toString();
    const m = t.pushedAt === undefined ? pushed.exec(t.stderr) : null;
    if (m) [t.pushedAt, t.commit] = [Date.now(), m[1]];
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...t, code, exitedAt: Date.now() }));
  });
}

/**
 * Starts a watch on the Kustomization for any applied revision other than `before` (only this bench
 * pushes to the repository, so it is the run's commit: checked afterwards), then runs `work`.
 */
async function observed(s: Scene, before: string, work: () => Promise<Timed>): Promise<Split> {
  let appliedAt = 0;
  let applied = '';
  const watch = waitForFlux(
    admin,
    'Kustomization',
    s.ns,
    'apps',
    'applied a new revision',
    (k) => (k.status?.lastAppliedRevision ?? before) !== before,
  ).then((k) => {
    appliedAt = Date.now();
    applied = k.status!.lastAppliedRevision!;
  });
  const r = await work();
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${r.stderr.slice(-1500)}`);
  await watch;
  if (!r.pushedAt || !r.commit) throw new Error(`no push line: ${r.stderr.slice(-1500)}`);
  if (!applied.startsWith(revisionOf(r.commit))) throw new Error(`applied ${applied}, pushed ${r.commit}`);
  return {
    totalMs: r.exitedAt - r.startedAt,
    gitMs: r.pushedAt - r.startedAt,
    controllerMs: appliedAt - r.pushedAt,
    rolloutMs: r.exitedAt - appliedAt,
  };
}

const currentRevision = async (s: Scene) =>
  (await waitForFlux(admin, 'Kustomization', s.ns, 'apps', 'read', () => true)).status?.lastAppliedRevision ??
  '';

const summaryRow = (summary: string, row: string) =>
  new RegExp(`\\| ${row} \\| \\+?([^|]+?) \\|`).exec(summary)?.[1] ?? '?';

async function kubeline(s: Scene): Promise<GitopsRun['kubeline']> {
  const temp = mkdtempSync(join(s.temp, 'kubeline-'));
  const { user, password } = gitServer();
  const digest = newDigest();
  const inputs: Record<string, string> = {
    image: JSON.stringify({
      name: NAME,
      digest,
      ref: `${NAME}@${digest}`,
      tags: [],
      platforms: [],
      pushed: true,
      labels: {},
    }),
    repository: s.repo.url,
    token: password,
    username: user,
    path: OVERLAY,
    environment: 'bench',
    'wait-for': `kustomization/${s.ns}/apps`,
    kubeconfig: s.reader,
    timeout: '3m',
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: temp,
    KUBELINE_PLATFORM: 'cli',
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST,
    // nothing but loopback answers
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const before = await currentRevision(s);
  let summary = '';
  const split = await observed(s, before, async () => {
    const r = await timed(
      NODE,
      [join(ROOT, 'actions/gitops-promote/dist/index.js')],
      env,
      /pushed ([0-9a-f]{12})/,
    );
    const outputs = (r.code === 0 ? JSON.parse(r.stdout) : {}) as Record<string, string>;
    if (r.code === 0 && outputs.status !== 'healthy') throw new Error(`status ${outputs.status}`);
    summary = readFileSync(join(temp, 'kubeline-gitops-promote-summary.md'), 'utf8');
    return r;
  });
  return {
    ...split,
    summaryGit: summaryRow(summary, 'commit and push'),
    summaryHealthy: summaryRow(summary, 'push → healthy'),
  };
}

/**
 * By hand: a shallow clone, the digest written with sed, commit, push; then kubectl waits (by
 * watch) for the Kustomization to report the commit applied and for the Deployment's rollout.
 * kubectl's discovery cache starts empty, as on a fresh CI runner.
 */
const RAW_SCRIPT = `set -euo pipefail
git clone --quiet --depth 1 --branch main "$REPO" "$WORK/repo"
cd "$WORK/repo"
sed -E -i "s#^( +)(newTag|digest): .*#\\\\1digest: $DIGEST#" "$OVERLAY"
git commit --quiet --all --message "Promote $NAME to $DIGEST"
git push --quiet origin HEAD:main
sha=$(git rev-parse HEAD)
echo "pushed $sha" >&2
k() { "$KUBECTL" --kubeconfig "$WORK/kubeconfig" --cache-dir "$WORK/cache" -n "$NS" "$@"; }
k wait kustomization/apps --for="jsonpath={.status.lastAppliedRevision}=main@sha1:$sha" --timeout=3m >/dev/null
k rollout status deployment/web --timeout=3m >/dev/null
`;

async function raw(s: Scene): Promise<Split> {
  const work = mkdtempSync(join(s.temp, 'raw-'));
  writeFileSync(join(work, 'kubeconfig'), s.reader, { mode: 0o600 });
  const before = await currentRevision(s);
  return observed(s, before, () =>
    timed(
      'bash',
      ['-c', RAW_SCRIPT],
      {
        ...gitEnv(),
        KUBECTL: kubectl,
        WORK: work,
        REPO: s.repo.url,
        NS: s.ns,
        OVERLAY,
        NAME,
        DIGEST: newDigest(),
      },
      /pushed ([0-9a-f]{40})/,
    ),
  );
}

async function main(runs: number, interval: string): Promise<GitopsRun[]> {
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(interval);
  if (!seconds) throw new Error(`interval ${interval}: want seconds, e.g. 2s`);
  const pollMs = Number(seconds[1]) * 1000;
  const s = await startScene(interval);
  log(`scene ${s.ns} up`);
  const out: GitopsRun[] = [];
  try {
    // one unmeasured pair: the first bundle start and kubectl discovery pay for cold caches
    for (let i = 0; i <= runs; i++) {
      // each subject starts at a random phase of the poll: back-to-back runs about as long as the
      // interval would otherwise meet source-controller's poll at the same point every time
      await sleep(Math.random() * pollMs);
      const k = await kubeline(s);
      await sleep(Math.random() * pollMs);
      const r = await raw(s);
      log(`run ${i}/${runs}: kubeline ${k.totalMs} ms, raw ${r.totalMs} ms${i ? '' : ' (warm-up)'}`);
      if (i) out.push({ kubeline: k, raw: r });
    }
  } finally {
    await closeScene();
  }
  return out;
}

// A bench killed by its timeout still removes its namespace and repository.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void closeScene().finally(() => process.exit(143)));

main(Number(process.argv[2] ?? 5), process.argv[3] ?? '2s')
  .then(
    (result) => console.log(JSON.stringify(result)),
    (e: Error) => {
      console.error(`gitops bench: ${e.message}`);
      process.exitCode = 1;
    },
  )
  // a watch left open must not hold the bench
  .finally(() => setTimeout(() => process.exit(), 2_000).unref());
