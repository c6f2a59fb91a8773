import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SOCKET_NAME_BYTES } from '@kubeline/runtime';
import { NODE, ROOT, TSX, runTs } from '../support/processes.js';

const PROBE = path.join(import.meta.dirname, 'fixtures', 'probe-action.ts');
const SECRET = 'hunter2-Xq9-planted-secret';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-run-'));
}

describe('run() on the CLI platform', () => {
  it('prints outputs as one JSON document on stdout and logs on stderr', async () => {
    const dir = tmp();
    const r = await runTs(PROBE, { INPUT_COUNT: '5', RUNNER_TEMP: dir, INPUT_PAYLOAD: '{"a":1}' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      greeting: 'hello 5',
      data: '{"count":5,"payload":{"a":1}}',
      multi: 'line one\nline two',
    });
    expect(r.stderr).toContain('summary: ');
    const summary = fs.readFileSync(path.join(dir, 'kubeline-probe-summary.md'), 'utf8');
    expect(summary).toContain('| count | 5 |');
  });

  it('a user error is one line, exit 1, no stack trace', async () => {
    const r = await runTs(PROBE, { PROBE_MODE: 'user-error', RUNNER_TEMP: tmp() });
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toEqual(['error: probe: the thing named 3 is wrong']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an invalid input names the input, the value and what is allowed', async () => {
    const r = await runTs(PROBE, { INPUT_COUNT: '2.5', RUNNER_TEMP: tmp() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: probe: input "count": "2.5" is not valid; allowed: an integer ≥ 1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bug keeps its stack trace and says it is a bug', async () => {
    const r = await runTs(PROBE, { PROBE_MODE: 'bug', RUNNER_TEMP: tmp() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unexpected error, please report it as a kubeline bug');
    expect(r.stderr).toMatch(/\n\s+at .*probe-action/);
  });

  it('the post phase sees state saved by main', async () => {
    const dir = tmp();
    expect((await runTs(PROBE, { RUNNER_TEMP: dir, INPUT_COUNT: '7' })).code).toBe(0);
    const post = await runTs(PROBE, { RUNNER_TEMP: dir, KUBELINE_PHASE: 'post' });
    expect(post.code).toBe(0);
    expect(post.stderr).toContain('post saw count=7');
  });
});

describe('run() on GitHub', () => {
  it('writes GITHUB_OUTPUT, the step summary, and runs post via saved state', async () => {
    const dir = tmp();
    const out = path.join(dir, 'output');
    const summary = path.join(dir, 'summary.md');
    const state = path.join(dir, 'state');
    for (const f of [out, summary, state]) fs.writeFileSync(f, '');
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: out,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_STATE: state,
      RUNNER_TEMP: dir,
    };
    const r = await runTs(PROBE, { ...env, INPUT_COUNT: '4' });
    expect(r.code).toBe(0);
    const outputs = fs.readFileSync(out, 'utf8');
    expect(outputs).toMatch(/^greeting<<ghadelimiter_[\w-]+\nhello 4\nghadelimiter_/m);
    expect(outputs).toMatch(/^multi<<(ghadelimiter_[\w-]+)\nline one\nline two\n\1$/m);
    expect(fs.readFileSync(summary, 'utf8')).toContain('## probe');
    const saved = fs.readFileSync(state, 'utf8');
    expect(saved).toContain('isPost');
    // The runner turns GITHUB_STATE lines into STATE_* variables for the post step.
    const post = await runTs(PROBE, { ...env, STATE_isPost: 'true', STATE_seen: 'count=4' });
    expect(post.stdout).toContain('post saw count=4');
  });

  it('a user error becomes one ::error:: annotation', async () => {
    const dir = tmp();
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map((k) => [k, path.join(dir, k)]),
    );
    for (const f of Object.values(files)) fs.writeFileSync(f, '');
    const r = await runTs(PROBE, {
      ...files,
      GITHUB_ACTIONS: 'true',
      PROBE_MODE: 'user-error',
      RUNNER_TEMP: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error'))).toEqual([
      '::error::probe: the thing named 3 is wrong',
    ]);
  });
});

describe('run() on GitLab', () => {
  it('writes a dotenv report with valid keys and JSON values in files', async () => {
    const dir = tmp();
    const dotenv = path.join(dir, 'out.env');
    const r = await runTs(PROBE, { GITLAB_CI: 'true', KUBELINE_DOTENV: dotenv, INPUT_COUNT: '6' }, [], dir);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(dotenv, 'utf8').trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^[A-Za-z0-9_]+=[^\n]*$/);
    const kv = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(kv.PROBE_GREETING).toBe('hello 6');
    // Relative to the job's directory: GitLab's project path can differ from job to job.
    expect(kv.PROBE_DATA).toBe('kubeline-outputs/probe/data.json');
    expect(JSON.parse(fs.readFileSync(path.join(dir, kv.PROBE_DATA!), 'utf8'))).toEqual({
      count: 6,
      payload: null,
    });
    expect(fs.readFileSync(path.join(dir, kv.PROBE_MULTI!), 'utf8')).toBe('line one\nline two');
    expect(fs.existsSync(path.join(dir, 'kubeline-probe-summary.md'))).toBe(true);
  });

  it('the post step (after_script) leaves the main step dotenv report as it was', async () => {
    const dir = tmp();
    const env = { GITLAB_CI: 'true', KUBELINE_DOTENV: path.join(dir, 'out.env'), INPUT_COUNT: '2' };
    expect((await runTs(PROBE, env, [], dir)).code).toBe(0);
    const written = fs.readFileSync(env.KUBELINE_DOTENV, 'utf8');
    expect(written).toMatch(/^PROBE_GREETING=hello 2$/m);
    const post = await runTs(PROBE, { ...env, KUBELINE_PHASE: 'post' }, [], dir);
    expect(post.code).toBe(0);
    expect(fs.readFileSync(env.KUBELINE_DOTENV, 'utf8')).toBe(written);
  });
});

describe('secrets never reach a log', () => {
  for (const [platform, env] of [
    ['cli', {}],
    ['github', { GITHUB_ACTIONS: 'true' }],
    ['gitlab', { GITLAB_CI: 'true' }],
  ] as const) {
    it(`on ${platform}: a real child process printing the secret, an error carrying it, outputs and summary`, async () => {
      const dir = tmp();
      const files = {
        GITHUB_OUTPUT: path.join(dir, 'o'),
        GITHUB_STEP_SUMMARY: path.join(dir, 's'),
        GITHUB_STATE: path.join(dir, 'st'),
      };
      for (const f of Object.values(files)) fs.writeFileSync(f, '');
      const r = await runTs(
        PROBE,
        {
          ...env,
          ...files,
          RUNNER_TEMP: dir,
          KUBELINE_DOTENV: path.join(dir, 'x.env'),
          PROBE_MODE: 'secret',
          INPUT_TOKEN: SECRET,
        },
        [],
        dir,
      );
      expect(r.code).toBe(1);
      // `::add-mask::` is how the GitHub runner learns the secret; the runner never prints that line.
      const printed = (r.stdout + r.stderr).replace(/^::add-mask::.*$/gm, '');
      expect(printed).toContain('child out ***');
      expect(printed).toContain('child err ***');
      expect(printed).toContain('denied for ***');
      expect(printed).not.toContain(SECRET);
      expect(printed).toContain('output greeting contained a secret; it was masked');
      if (platform === 'github')
        expect(r.stdout).toContain(`::add-mask::${SECRET}`); // the runner's own masking, by design
      else {
        for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
          const p = path.join(dir, f);
          if (fs.statSync(p).isFile() && !p.endsWith('.json'))
            expect(fs.readFileSync(p, 'utf8')).not.toContain(SECRET);
        }
      }
    });
  }
});

describe('a cancelled job (SIGTERM, as GitHub and GitLab send it)', () => {
  /** Gone, or a zombie nobody has reaped yet (it no longer runs): checked for up to 2 s. */
  const stopped = async (pid: number) => {
    for (let i = 0; i < 40; i++) {
      let state: string;
      try {
        state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
      } catch {
        return true;
      }
      if (state === 'Z') return true;
      await sleep(50);
    }
    return false;
  };
  /** Starts the probe, waits until its tool and the tool's own child run, then sends `signal`. */
  async function cancelMidTool(mode: string, env: NodeJS.ProcessEnv = {}) {
    const dir = tmp();
    const pidsFile = path.join(dir, 'pids');
    const child = spawn(NODE, [TSX, PROBE], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PROBE_MODE: mode, RUNNER_TEMP: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    for (let i = 0; i < 200 && !fs.existsSync(pidsFile); i++) await sleep(50);
    const [tool, grandchild, workDir] = fs.readFileSync(pidsFile, 'utf8').split(' ');
    const sent = Date.now();
    process.kill(child.pid!, 'SIGTERM');
    const code = await exited;
    return {
      code,
      stderr,
      ms: Date.now() - sent,
      dir,
      tool: Number(tool),
      grandchild: Number(grandchild),
      workDir: workDir!,
    };
  }

  it('stops the tool and everything it started, runs the clean-ups, removes the work dir, exits 143 with one line', async () => {
    const r = await cancelMidTool('hang');
    expect(r.code).toBe(143);
    expect(r.ms).toBeLessThan(4000);
    expect(await stopped(r.tool)).toBe(true);
    expect(await stopped(r.grandchild)).toBe(true);
    expect(fs.readFileSync(path.join(r.dir, 'cleaned-up'), 'utf8')).toBe('released');
    expect(fs.existsSync(r.workDir)).toBe(false);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      'error: probe: cancelled by SIGTERM',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a step that does not unwind is ended when the grace period runs out, clean-ups and work dir included', async () => {
    const r = await cancelMidTool('stubborn', { KUBELINE_CANCEL_GRACE_MS: '800' });
    expect(r.code).toBe(143);
    expect(r.ms).toBeGreaterThanOrEqual(700);
    expect(r.ms).toBeLessThan(5000);
    expect(await stopped(r.grandchild)).toBe(true);
    expect(fs.readFileSync(path.join(r.dir, 'cleaned-up'), 'utf8')).toBe('released');
    expect(fs.existsSync(r.workDir)).toBe(false);
    expect(r.stderr).toContain(
      'error: probe: cancelled by SIGTERM; the grace period ended before the step unwound',
    );
  });
});

describe('the socket dir', () => {
  /** kubeline's dirs in `dir` (tsx keeps its own cache in TMPDIR). */
  const ownDirs = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('kubeline-'));
  const deep = (base: string) => {
    const dir = path.join(base, 'd'.repeat(90));
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  /** Runs the probe in `mode`; resolves with the dirs it reported once it wrote them. */
  function probeDirs(mode: string, env: NodeJS.ProcessEnv) {
    const out = path.join(tmp(), 'dirs.json');
    // In-process tsx: the tsx CLI would run the probe in a child that a SIGKILL does not reach, and
    // would need a socket in TMPDIR of its own.
    const child = spawn(NODE, ['--import', 'tsx', PROBE], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PROBE_MODE: mode, PROBE_OUT: out, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const dirs = async () => {
      for (let i = 0; i < 200 && !fs.existsSync(out); i++) await sleep(50);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as { work: string; socket: string };
    };
    return { child, exited, dirs, stderr: () => stderr };
  }

  it('is the work dir when that leaves room for a socket name, removed with it', async () => {
    const runnerTemp = tmp();
    const p = probeDirs('socket-dir', { RUNNER_TEMP: runnerTemp, TMPDIR: tmp() });
    const { work, socket } = await p.dirs();
    expect(await p.exited).toBe(0);
    expect(socket).toBe(work);
    expect(path.dirname(work)).toBe(runnerTemp);
    expect(fs.existsSync(work)).toBe(false);
  });

  it('is a 0700 dir under TMPDIR when the work dir is too deep, removed when the step ends', async () => {
    const tmpdir = tmp();
    const p = probeDirs('socket-dir-hang', { RUNNER_TEMP: deep(tmp()), TMPDIR: tmpdir });
    const { work, socket } = await p.dirs();
    expect(path.dirname(socket)).toBe(tmpdir);
    expect(path.basename(socket)).toMatch(/^kubeline-probe-\w{6}$/);
    expect(fs.statSync(socket).mode & 0o777).toBe(0o700);
    expect(Buffer.byteLength(path.join(socket, 'x'.repeat(SOCKET_NAME_BYTES)))).toBeLessThanOrEqual(107);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(143);
    expect(fs.existsSync(socket)).toBe(false);
    expect(fs.existsSync(work)).toBe(false);
  });

  it('outlives a SIGKILLed main step and is removed by the post step', async () => {
    const tmpdir = tmp();
    const runnerTemp = deep(tmp());
    const env = { RUNNER_TEMP: runnerTemp, TMPDIR: tmpdir };
    const p = probeDirs('socket-dir-hang', env);
    const { work, socket } = await p.dirs();
    p.child.kill('SIGKILL');
    await p.exited;
    expect(fs.existsSync(socket) && fs.existsSync(work)).toBe(true);
    const post = probeDirs('', { ...env, KUBELINE_PHASE: 'post' });
    expect(await post.exited).toBe(0);
    expect(fs.existsSync(socket)).toBe(false);
    expect(fs.existsSync(work)).toBe(false);
    expect(ownDirs(tmpdir)).toEqual([]);
  });

  it('is one line naming TMPDIR when no socket path fits', async () => {
    const tmpdir = deep(tmp());
    const p = probeDirs('socket-dir', { RUNNER_TEMP: deep(tmp()), TMPDIR: tmpdir });
    expect(await p.exited).toBe(1);
    expect(
      p
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toEqual([
      `error: probe: TMPDIR: the temp dir path ${tmpdir} is too long for a unix socket (107 bytes with the socket's name); set TMPDIR to a shorter path`,
    ]);
    expect(p.stderr()).not.toMatch(/\n\s+at /);
    expect(ownDirs(tmpdir)).toEqual([]);
  });
});
