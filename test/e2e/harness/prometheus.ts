// Prometheus for tests: register a scrape target at run time (file_sd) and read query results.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk } from '../../stack/probes.js';
import { pollUntil } from '../../stack/wait.js';
import { loadStackEnv } from './stack-env.js';

interface TargetsResponse {
  data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
}
interface QueryResponse {
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface RegisteredTarget {
  address: string;
  unregister(): void;
}

/** Adds host:port as a scrape target (labels included) and waits until Prometheus scrapes it up. */
export async function registerTarget(
  name: string,
  address: string,
  labels: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<RegisteredTarget> {
  const dir = loadStackEnv().PROMETHEUS_TARGETS_DIR;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  // written aside (not matching *.json) and renamed: file_sd never reads half a file
  writeFileSync(`${file}.tmp`, JSON.stringify([{ targets: [address], labels }]));
  renameSync(`${file}.tmp`, file);
  await waitForTargetUp(address, timeoutMs);
  return { address, unregister: () => rmSync(file, { force: true }) };
}

export async function waitForTargetUp(address: string, timeoutMs = 30_000): Promise<void> {
  const url = `${loadStackEnv().PROMETHEUS_URL}/api/v1/targets?state=active`;
  await pollUntil(
    async () => {
      const { data } = JSON.parse(await expectOk(url)) as TargetsResponse;
      const target = data.activeTargets.find((t) => t.labels.instance === address);
      if (target && target.health !== 'up')
        throw new Error(`target ${address} is ${target.health}: ${target.lastError}`);
      return target?.health === 'up';
    },
    { timeoutMs, intervalMs: 250 },
  );
}

export async function queryPrometheus(promql: string): Promise<QueryResponse['data']['result']> {
  const url = `${loadStackEnv().PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`;
  return (JSON.parse(await expectOk(url)) as QueryResponse).data.result;
}

/** The query's single value once the predicate holds (scrapes land every second). */
export async function waitForQueryValue(
  promql: string,
  predicate: (value: number) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  let last: number | undefined;
  try {
    return await pollUntil(
      async () => {
        const [sample] = await queryPrometheus(promql);
        last = sample ? Number(sample.value[1]) : undefined;
        return last !== undefined && predicate(last) ? { value: last } : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    ).then((r) => r.value);
  } catch (error) {
    throw new Error(`${promql}: last value ${last ?? 'none'}: ${(error as Error).message}`, { cause: error });
  }
}
