// Each action bundle's cold start to its first output or error, against bare `node -e 0`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionNames } from '../scripts/actions.js';
import { ROOT } from '../test/support/processes.js';
import { interleaved, table, type Subject } from './measure.js';

export function coldStart(runs: number): string {
  const node = process.execPath;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-'));
  const env = {
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: path.join(temp, 'cache'),
    GITHUB_ACTIONS: '',
    GITLAB_CI: '',
  };
  const subjects: Subject[] = [{ name: 'node -e 0', cmd: node, args: ['-e', '0'] }];
  for (const name of actionNames()) {
    // No inputs at all: every action reads its inputs, then reports its first output or error.
    subjects.push({
      name: `${name} (first error: invalid input)`,
      cmd: node,
      args: [path.join(ROOT, 'actions', name, 'dist', 'index.js')],
      env: { ...env, INPUT_HELM: '9.9.9', INPUT_IMAGE: 'not a reference!', INPUT_RELEASE: 'Bad_Name' },
      expectCode: 1,
    });
  }
  return table('cold start', 'node -e 0', interleaved(subjects, runs));
}
