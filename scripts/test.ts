// Every check CI runs, stage by stage, stopping after the first failing stage; ends with one
// "N passed, N failed" line. `npm test -- <step> ...` runs only the named steps.
import { spawn } from 'node:child_process';
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

type Step = [name: string, argv: string[]];

/**
 * Stages in order; the steps of one stage run side by side (the machine has two cores, and a lone
 * typecheck or lint keeps one busy). A stage's output is printed per step as each ends, so it never
 * interleaves; a lone step streams as it runs.
 */
const stages: Step[][] = [
  [
    ['typecheck', [bin('tsc'), '-p', 'tsconfig.json', '--noEmit']],
    ['lint', [bin('eslint'), '.', '--max-warnings=0']],
  ],
  [
    ['format', [bin('prettier'), '--check', '.']],
    ['generated files', tsx('scripts/gen.ts', '--check')],
  ],
  [['dist reproducible', tsx('scripts/check-dist.ts')]],
  [['unit tests', jest('jest.config.js')]],
  [['e2e tests', jest('jest.e2e.config.js')]],
  // what takes down a part of the shared stack, after the rest (jest.e2e.config.js `alone`)
  [['e2e tests, alone', jest('jest.e2e-alone.config.js')]],
];

const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' };

function runStreaming([name, [cmd, ...args]]: Step): Promise<boolean> {
  console.error(`\n▶ ${name}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: 'inherit', env });
    child.on('error', () => resolve(report(name, started, false)));
    child.on('close', (code) => resolve(report(name, started, code === 0)));
  });
}

function runBuffered([name, [cmd, ...args]]: Step): Promise<boolean> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    const end = (ok: boolean) => {
      console.error(`\n▶ ${name}`);
      process.stderr.write(Buffer.concat(out));
      resolve(report(name, started, ok));
    };
    child.on('error', () => end(false));
    child.on('close', (code) => end(code === 0));
  });
}

function report(name: string, started: number, ok: boolean): boolean {
  console.error(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return ok;
}

const only = process.argv.slice(2);
let failed = false;
for (const stage of stages) {
  const chosen = stage.filter(([name]) => only.length === 0 || only.includes(name));
  if (chosen.length === 0) continue;
  const results =
    chosen.length === 1 ? [await runStreaming(chosen[0]!)] : await Promise.all(chosen.map(runBuffered));
  if (results.includes(false)) {
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
