import fs from 'node:fs';
import path from 'node:path';
import { github } from './github-commands.js';
import { detectPlatform, reportDir, type PlatformName } from './platform.js';
import { mask } from './log.js';

/** GitLab dotenv reports: keys of [A-Za-z0-9_], one line per value, 5 KB in all. */
export const DOTENV_MAX_BYTES = 5 * 1024;
const DOTENV_INLINE_MAX = 1024;

export interface OutputWriter {
  set(name: string, value: string, opts?: { json?: boolean }): void;
  /** Writes whatever is buffered (the CLI's JSON document, GitLab's dotenv file). */
  flush(): void;
}

export function dotenvKey(action: string, output: string): string {
  return `${action}_${output}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

class GitHubOutputs implements OutputWriter {
  set(name: string, value: string): void {
    github.setOutput(name, value);
  }
  flush(): void {}
}

/**
 * GitLab passes values between jobs through a dotenv report. Values that cannot live there (JSON,
 * multiline, long, or past the 5 KB budget) go to a file under the report's folder; the output is
 * that file's path, which every kubeline input that takes JSON also accepts.
 */
export class DotenvOutputs implements OutputWriter {
  private readonly lines = new Map<string, string>();
  constructor(
    private readonly action: string,
    private readonly file: string,
  ) {}
  set(name: string, value: string, opts: { json?: boolean } = {}): void {
    const key = dotenvKey(this.action, name);
    let inline = value;
    const used = [...this.lines.values()].reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const fits = used + Buffer.byteLength(`${key}=${value}`) + 1 <= DOTENV_MAX_BYTES;
    if (opts.json || /[\r\n]/.test(value) || value.length > DOTENV_INLINE_MAX || !fits) {
      const dir = path.join(path.dirname(this.file), 'kubeline-outputs', this.action);
      fs.mkdirSync(dir, { recursive: true });
      const target = path.join(dir, `${name}${opts.json ? '.json' : '.txt'}`);
      fs.writeFileSync(target, value);
      // Relative to the job's directory: GitLab's project path can differ between jobs and runners.
      inline = path.relative(process.cwd(), target).startsWith('..')
        ? target
        : path.relative(process.cwd(), target);
    }
    this.lines.set(key, `${key}=${inline}`);
  }
  flush(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, [...this.lines.values()].map((l) => `${l}\n`).join(''));
  }
}

/** The CLI prints one JSON object on stdout when the action ends; logs went to stderr. */
export class JsonOutputs implements OutputWriter {
  readonly values: Record<string, string> = {};
  constructor(private readonly write: (text: string) => void = (t) => void process.stdout.write(t)) {}
  set(name: string, value: string): void {
    this.values[name] = value;
  }
  flush(): void {
    this.write(mask(JSON.stringify(this.values, null, 2)) + '\n');
  }
}

export function dotenvPath(action: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBELINE_DOTENV || path.join(reportDir(env), `kubeline-${action}.env`);
}

export function createOutputWriter(
  action: string,
  platform: PlatformName = detectPlatform(),
  stdout?: (text: string) => void,
): OutputWriter {
  if (platform === 'github') return new GitHubOutputs();
  if (platform === 'gitlab') return new DotenvOutputs(action, dotenvPath(action));
  return new JsonOutputs(stdout);
}
