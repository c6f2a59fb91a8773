// Bad input at process level: the committed bundles run as a runner runs them, with generated bad
// values (test/support/input-fuzz.ts) in their INPUT_* variables and every shell on PATH replaced by
// a detector. Each run must exit 1 with exactly one error line naming the input, no stack trace, a
// planted secret nowhere, and no shell started. (A NUL cannot reach a process through its
// environment, and one value is capped by the kernel at 128 KiB: those cases stay in-process.)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ACTIONS, filler, targets } from '../support/input-fuzz.js';
import { NODE, ROOT } from '../support/processes.js';

const CASES = 25;
const SHELLS = ['sh', 'bash', 'dash', 'zsh', 'ash', 'busybox'];

let detectorBin: string;
let tripped: string;

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeline-fuzz-shells-'));
  detectorBin = path.join(dir, 'bin');
  tripped = path.join(dir, 'tripped');
  for (const d of [detectorBin, tripped]) spawnSync('mkdir', ['-p', d]);
  // a "shell" that records it was started (by whom, with what), then fails
  for (const shell of SHELLS) {
    const file = path.join(detectorBin, shell);
    writeFileSync(
      file,
      `#!${NODE}\nrequire('fs').writeFileSync(require('path').join(${JSON.stringify(tripped)}, '${shell}-' + process.pid), process.argv.join(' '));\nprocess.exit(99);\n`,
    );
    chmodSync(file, 0o755);
  }
});

afterAll(() => rmSync(path.dirname(detectorBin), { recursive: true, force: true }));

const deliverable = (v: string) => !v.includes('\0') && Buffer.byteLength(v) < 100_000;

describe.each(ACTIONS.map(([meta, spec]) => [meta.name, meta, spec] as const))(
  '%s bundle',
  (name, meta, spec) => {
    it(`${CASES} generated bad inputs: exit 1, one line naming the input, no shell ever started`, () => {
      const bundle = path.join(ROOT, 'actions', name, 'dist', 'index.js');
      const candidates = targets(spec);
      const cases = fc.sample(
        fc
          .integer({ min: 0, max: candidates.length - 1 })
          .chain((i) =>
            fc.tuple(fc.constant(candidates[i]![0]), candidates[i]![1].filter(deliverable), filler),
          ),
        { numRuns: CASES, seed: 20261202 },
      );
      const secretInputs = Object.entries(spec)
        .filter(([, p]) => p.secret)
        .map(([n]) => n);
      for (const [input, bad, fill] of cases) {
        const runnerTemp = mkdtempSync(path.join(tmpdir(), 'kubeline-fuzz-run-'));
        const env: NodeJS.ProcessEnv = {
          PATH: `${detectorBin}:${process.env.PATH}`,
          HOME: runnerTemp,
          RUNNER_TEMP: runnerTemp,
          KUBELINE_PLATFORM: 'cli',
        };
        for (const n of Object.keys(spec)) {
          if (n === input) break;
          if (spec[n]!.type === 'string' || spec[n]!.type === 'multiline text')
            env[`INPUT_${n.toUpperCase()}`] = fill;
        }
        for (const s of secretInputs) env[`INPUT_${s.toUpperCase()}`] = 'planted-fuzz-secret-0451';
        env[`INPUT_${input.toUpperCase()}`] = bad;
        const r = spawnSync(NODE, [bundle], { env, encoding: 'utf8', timeout: 30_000 });
        rmSync(runnerTemp, { recursive: true, force: true });
        const where = `${meta.name} ${input}=${JSON.stringify(bad.slice(0, 80))}`;
        expect({ where, status: r.status }).toEqual({ where, status: 1 });
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
        expect({ where, errors: errors.length }).toEqual({ where, errors: 1 });
        expect(errors[0]).toMatch(new RegExp(`^error: ${name}: input "[a-z0-9-]+"`));
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(r.stdout + r.stderr).not.toContain('planted-fuzz-secret-0451');
        expect({ where, shells: readdirSync(tripped) }).toEqual({ where, shells: [] });
      }
    });
  },
);
