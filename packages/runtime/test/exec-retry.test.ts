import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exec, retry, ToolError, TransientError } from '@kubeline/runtime';
import { NODE } from '../../../test/support/processes.js';

describe('exec', () => {
  it('passes argv verbatim: shell syntax is data, never run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-exec-'));
    const marker = path.join(dir, 'pwned');
    const evil = `$(touch ${marker}); touch ${marker}`;
    const r = await exec(NODE, ['-e', 'process.stdout.write(process.argv[1])', evil], { silent: true });
    expect(r.stdout).toBe(evil);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('feeds stdin and captures stdout', async () => {
    const r = await exec(NODE, ['-e', 'process.stdin.pipe(process.stdout)'], {
      input: 'piped',
      silent: true,
    });
    expect(r).toMatchObject({ code: 0, stdout: 'piped' });
  });

  it('a non-zero exit throws a ToolError carrying the stderr tail', async () => {
    const err = await exec(NODE, ['-e', 'console.error("line1\\nthe real reason"); process.exit(4)'], {
      silent: true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toBe('node failed with exit code 4');
    expect(err.details).toEqual(['line1', 'the real reason']);
  });

  it('allowFailure returns the exit code instead', async () => {
    const r = await exec(NODE, ['-e', 'process.exit(3)'], { silent: true, allowFailure: true });
    expect(r.code).toBe(3);
  });

  it('a timeout kills the process group and says so', async () => {
    const started = Date.now();
    const err = await exec(NODE, ['-e', 'setTimeout(() => {}, 60000)'], {
      silent: true,
      timeoutMs: 300,
    }).catch((e) => e);
    expect(err.message).toBe('node timed out after 0s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a stop signal sends SIGTERM first, lets the tool finish within the grace, and returns', async () => {
    const stop = new AbortController();
    // the tool answers SIGTERM by cleaning up (as helm fails its release) and exiting 3
    const tool =
      "process.on('SIGTERM', () => { console.log('cleaned up'); process.exit(3); }); setInterval(() => {}, 1000); console.log('up')";
    const running = exec(NODE, ['-e', tool], {
      silent: true,
      allowFailure: true,
      signal: stop.signal,
      stopGraceMs: 5000,
    });
    setTimeout(() => stop.abort(), 400);
    const r = await running;
    expect(r).toMatchObject({ code: 3, stopped: true });
    expect(r.stdout).toBe('up\ncleaned up\n');
  });

  it('a tool that ignores the stop signal is killed when the grace ends', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const running = exec(NODE, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], {
      silent: true,
      allowFailure: true,
      signal: stop.signal,
      stopGraceMs: 300,
    });
    setTimeout(() => stop.abort(), 200);
    expect(await running).toMatchObject({ code: 128, stopped: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a missing tool is reported by name', async () => {
    const err = await exec('/nonexistent/helm', ['version'], { silent: true }).catch((e) => e);
    expect(err.message).toBe('helm was not found (/nonexistent/helm)');
  });
});

describe('retry', () => {
  it('retries transient errors with backoff and returns the first success', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new TransientError('503', 503);
        return 'ok';
      },
      { baseDelayMs: 5 },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('does not retry a permanent error', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new Error('404');
      }),
    ).rejects.toThrow('404');
    expect(calls).toBe(1);
  });

  it('treats connection resets as transient and stops after the attempt budget', async () => {
    let calls = 0;
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    await expect(
      retry(
        async () => {
          calls++;
          throw reset;
        },
        { attempts: 3, baseDelayMs: 1 },
      ),
    ).rejects.toBe(reset);
    expect(calls).toBe(3);
  });

  it('a retry setting that is not a number in range is one line naming the variable, not NaN', async () => {
    for (const [name, value] of [
      ['KUBELINE_RETRY_ATTEMPTS', 'many'],
      ['KUBELINE_RETRY_ATTEMPTS', '0'],
      ['KUBELINE_RETRY_BASE_MS', '1e9'],
    ] as const) {
      process.env[name] = value;
      try {
        await expect(retry(async () => 'never run')).rejects.toThrow(
          new RegExp(
            `^environment variable ${name}: "${value}" is not valid; allowed: an? (integer|number) from`,
          ),
        );
      } finally {
        delete process.env[name];
      }
    }
  });
});
