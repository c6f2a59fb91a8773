import fs from 'node:fs';
import path from 'node:path';
import { github } from './github-commands.js';
import { detectPlatform, runnerTemp } from './platform.js';

/**
 * Values the main step hands to its post step. GitHub keeps them in STATE_* variables; GitLab's
 * after_script and the CLI's `post` run read a JSON file in the job's temp dir.
 */
export interface StepState {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export function stateFile(action: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.KUBELINE_STATE_DIR || path.join(runnerTemp(env), 'state'), `${action}.json`);
}

export function createState(action: string, env: NodeJS.ProcessEnv = process.env): StepState {
  if (detectPlatform(env) === 'github') {
    return { get: (k) => github.getState(k) || undefined, set: (k, v) => github.saveState(k, v) };
  }
  const file = stateFile(action, env);
  const read = (): Record<string, string> => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    get: (k) => read()[k],
    set: (k, v) => {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, JSON.stringify({ ...read(), [k]: v }), { mode: 0o600 });
    },
  };
}
