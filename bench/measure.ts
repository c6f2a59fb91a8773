import { spawnSync } from 'node:child_process';

export interface Subject {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Exit code the subject must end with; a run that ends otherwise aborts the benchmark. */
  expectCode?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs the subjects interleaved (A B C, A B C, …) so a noisy neighbour hits all of them alike, and
 * returns each subject's wall times in milliseconds.
 */
export function interleaved(subjects: Subject[], runs: number, warmup = 1): Map<string, number[]> {
  const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const s of subjects) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(s.cmd, s.args, {
        env: { ...process.env, ...s.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== (s.expectCode ?? 0))
        throw new Error(
          `${s.name} exited ${r.status}, expected ${s.expectCode ?? 0}: ${r.stderr?.toString().slice(-500)}`,
        );
      if (i >= warmup) times.get(s.name)!.push(ms);
    }
  }
  return times;
}

export function table(title: string, baseline: string, times: Map<string, number[]>): string {
  const base = median(times.get(baseline)!);
  const rows = [...times].map(([name, t]) => {
    const m = median(t);
    return `  ${name.padEnd(44)} ${m.toFixed(1).padStart(9)} ms   ${(m / base).toFixed(2).padStart(6)}×   (n=${t.length}, min ${Math.min(...t).toFixed(1)})`;
  });
  return [`${title} — median wall time, ratio to ${baseline}`, ...rows].join('\n');
}

/** The nearest-rank percentile `p` (0–100) of `xs`. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}
