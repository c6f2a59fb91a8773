/** How many Dockerfile steps ran and how many came from the builder's cache. */
export interface CacheUse {
  steps: number;
  cached: number;
}

/** From buildx `--progress plain`: `#7 [2/3] COPY …` names a step, `#7 CACHED` marks it cached. */
export function buildxCacheUse(progress: string): CacheUse {
  const steps = new Set<string>();
  const cached = new Set<string>();
  for (const line of progress.split('\n')) {
    const step = /^#(\d+) \[(?:[\w.-]+ )?\d+\/\d+\] /.exec(line);
    if (step) steps.add(step[1]!);
    const hit = /^#(\d+) CACHED\s*$/.exec(line);
    if (hit) cached.add(hit[1]!);
  }
  return { steps: steps.size, cached: [...cached].filter((id) => steps.has(id)).length };
}

/** From buildah's log: `STEP 2/3: COPY …` then `--> Using cache …` when the layer was reused. */
export function buildahCacheUse(log: string): CacheUse {
  let steps = 0;
  let cached = 0;
  for (const line of log.split('\n')) {
    // FROM pulls or reuses a base image; it is not a cacheable step.
    if (/STEP \d+\/\d+: (?!FROM )/.test(line)) steps++;
    if (/^--> Using cache /.test(line)) cached++;
  }
  return { steps, cached };
}

export function describeCacheUse(use: CacheUse): string {
  if (use.steps === 0) return 'no build steps';
  return `${use.cached}/${use.steps} steps cached`;
}
