// Runs test/fixtures/app as a host process on 127.0.0.1:<free port>.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../stack/paths.js';

export interface Behaviour {
  errorRate?: number;
  latencyMs?: number;
  trafficRps?: number;
}

export interface TestApp {
  port: number;
  /** host:port, as a Prometheus target */
  address: string;
  url: string;
  setBehaviour(behaviour: Behaviour): Promise<void>;
  /** Sends n requests to / and returns their status codes. */
  drive(n: number): Promise<number[]>;
  stop(): Promise<void>;
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`test app exited (${code}) before listening`);
  });
  const line = once(lines, 'line').then(([l]) => l as string);
  try {
    return await Promise.race([line, exited]);
  } finally {
    lines.close();
  }
}

/** `host`/`port`: where it listens (a free port on 127.0.0.1 by default); `version`: its x-app-version. */
export async function startTestApp(
  o: { host?: string; port?: number; version?: string } = {},
): Promise<TestApp> {
  const host = o.host ?? '127.0.0.1';
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/app/server.ts')], {
    cwd: repoRoot,
    env: { ...process.env, HOST: host, PORT: String(o.port ?? 0), VERSION: o.version ?? 'v1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port } = JSON.parse(await firstLine(child)) as { port: number };
  const url = `http://${host}:${port}`;
  return {
    port,
    address: `${host}:${port}`,
    url,
    async setBehaviour(behaviour) {
      const res = await fetch(`${url}/admin/behaviour`, { method: 'POST', body: JSON.stringify(behaviour) });
      if (!res.ok) throw new Error(`setBehaviour: HTTP ${res.status} ${await res.text()}`);
    },
    async drive(n) {
      const codes: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${url}/`);
        await res.arrayBuffer();
        codes.push(res.status);
      }
      return codes;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
