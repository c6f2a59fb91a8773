// trivy-scan's overhead over the raw `trivy image` it runs: the same image by digest, the same trivy
// binary, flags and warm cache (DB and layers), interleaved. Needs the stack (npm run stack:up).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanArgs } from '../actions/trivy-scan/src/trivy-args.js';
import { parseEnv } from '../test/stack/env-file.js';
import { paths } from '../test/stack/paths.js';
import { NODE, ROOT } from '../test/support/processes.js';
import { interleaved, median, table, type Subject } from './measure.js';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  return r.stdout.trim();
}

/** Pushes the vuln fixture with the trivydb helper (no docker needed) and returns name@digest. */
function pushFixture(registry: string): string {
  const trivydb = sh('bash', [path.join(ROOT, 'test/stack/trivydb/publish.sh'), '--print-bin']);
  const name = `${registry}/bench/trivy-vuln`;
  const digest = sh(trivydb, [
    'image',
    '--context',
    path.join(ROOT, 'test/fixtures/vuln-image'),
    '--push',
    `${name}:bench`,
  ]);
  return `${name}@${digest}`;
}

export function trivyScanOverhead(runs: number): string {
  if (!fs.existsSync(paths.env)) return 'trivy-scan vs trivy image — skipped: no stack (npm run stack:up)';
  const stack = parseEnv(fs.readFileSync(paths.env, 'utf8'));
  const image = pushFixture(stack.REGISTRY!);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-trivy-'));
  const env = {
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: path.join(temp, 'cache'),
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR ?? '',
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST ?? '',
    GITHUB_ACTIONS: '',
    GITLAB_CI: '',
    INPUT_IMAGE: image,
    INPUT_FORMATS: 'json',
    INPUT_FAIL_ON: 'none',
    INPUT_DB_REPOSITORY: stack.TRIVY_DB_REPOSITORY!,
  };
  const bundle = path.join(ROOT, 'actions/trivy-scan/dist/index.js');
  // One run up front installs trivy (sha256-verified, from the stack's mirror) and caches the DB.
  const first = spawnSync(NODE, [bundle], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const command = /\[command\](\S+) image --cache-dir (\S+) /.exec(first.stderr);
  if (first.status !== 0 || !command)
    throw new Error(`trivy-scan warm-up failed: ${first.stderr.slice(-800)}`);
  const [, trivy, cacheDir] = command as unknown as [string, string, string];
  const raw = scanArgs({
    scanType: 'image',
    target: { kind: 'registry', ref: image },
    cacheDir,
    output: path.join(temp, 'raw.json'),
    dbRepositories: [stack.TRIVY_DB_REPOSITORY!],
    javaDbRepositories: [],
    scanners: [],
    ignoreUnfixed: false,
    timeoutMs: 10 * 60_000,
  });
  const subjects: Subject[] = [
    { name: 'trivy image (raw, same flags)', cmd: trivy, args: raw },
    { name: 'trivy-scan bundle (formats: json)', cmd: NODE, args: [bundle], env },
    {
      name: 'trivy-scan bundle (json, sarif, cyclonedx, gitlab)',
      cmd: NODE,
      args: [bundle],
      env: { ...env, INPUT_FORMATS: 'json, sarif, cyclonedx, gitlab' },
    },
  ];
  const times = interleaved(subjects, Math.max(runs, 7));
  const overhead = median(times.get(subjects[1]!.name)!) - median(times.get(subjects[0]!.name)!);
  return [
    table('trivy-scan vs trivy image (warm cache, same image by digest)', subjects[0]!.name, times),
    `  fixed overhead of the action (median difference): ${overhead.toFixed(0)} ms`,
  ].join('\n');
}
