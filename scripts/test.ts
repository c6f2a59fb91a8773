// Every check CI runs, in order, stopping at the first failure; ends with one "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './actions.js';

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
}

const tsx = (script: string, ...args: string[]) => [
  process.execPath,
  path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
  script,
  ...args,
];
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const reports: string[] = [];
const jest = (config: string) => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-jest-')), 'report.json');
  reports.push(out);
  return [
    process.execPath,
    '--experimental-vm-modules',
    path.join(ROOT, 'node_modules/jest/bin/jest.js'),
    '-c',
    config,
    '--json',
    `--outputFile=${out}`,
  ];
};

const steps: Array<[string, string[]]> = [
  ['typecheck', [bin('tsc'), '-p', 'tsconfig.json', '--noEmit']],
  ['lint', [bin('eslint'), '.', '--max-warnings=0']],
  ['format', [bin('prettier'), '--check', '.']],
  ['generated files', tsx('scripts/gen.ts', '--check')],
  ['dist reproducible', tsx('scripts/check-dist.ts')],
  ['unit tests', jest('jest.config.js')],
  ['e2e tests', jest('jest.e2e.config.js')],
];

const only = process.argv.slice(2);
let failed = false;
for (const [name, [cmd, ...args]] of steps) {
  if (only.length && !only.includes(name)) continue;
  const started = Date.now();
  console.error(`\n▶ ${name}`);
  const r = spawnSync(cmd!, args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' },
  });
  console.error(`${r.status === 0 ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  if (r.status !== 0) {
    failed = true;
    break;
  }
}

let passed = 0;
let failedTests = 0;
for (const file of reports) {
  if (!fs.existsSync(file)) continue;
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as JestReport;
  passed += r.numPassedTests;
  failedTests += r.numFailedTests;
  if (r.numPendingTests > 0) {
    console.error(`✘ ${r.numPendingTests} skipped test(s): nothing may be skipped`);
    failed = true;
  }
}
console.log(`${passed} passed, ${failedTests} failed`);
process.exit(failed || failedTests > 0 ? 1 : 0);
