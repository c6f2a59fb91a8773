// The action's end of helm's post-renderer (render-relay.ts is helm's end): a unix socket, 0600 in the
// run's private socket dir (the runtime's, removed by the post step too), one per helm run. Each
// rendering helm sends is post-rendered here (annotated, listed, checked against the pinned digest);
// refused manifests are answered at once, the others when the gate is open. A run started before the lock (ahead.ts) is held until the action says go; the
// others are open from the start. Closing turns every waiting post-renderer away: helm then applies
// nothing.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SOCKET_NAME_BYTES } from '@kubeline/runtime';
import type { PostRendered, RenderReport } from './post-renderer.js';
import { APPLY, REFUSED } from './render-relay.js';

type GateState = 'holding' | 'open' | 'closed';

/** Numbers this process's gates: a helm run again after a refusal gets a fresh socket. */
let gates = 0;

export class RenderGate {
  private readonly held = new Map<net.Socket, Buffer>();
  private passed = false;
  private rendered: RenderReport | undefined;
  private readonly waiters = new Set<(r: RenderReport | undefined) => void>();

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
    private readonly render: (manifests: string) => PostRendered,
    private state: GateState,
  ) {
    server.on('connection', (s) => this.admit(s));
  }

  /**
   * A gate for the helm run `name`, in `socketDir` (ActionContext.socketDir(): it leaves room for
   * SOCKET_NAME_BYTES). `held`: manifests wait for open().
   */
  static async listen(
    socketDir: string,
    name: string,
    render: (manifests: string) => PostRendered,
    held: boolean,
  ): Promise<RenderGate> {
    const socketName = `render-${name}-${++gates}.sock`;
    if (Buffer.byteLength(socketName) > SOCKET_NAME_BYTES)
      throw new Error(`bug: gate socket name ${socketName} is longer than ${SOCKET_NAME_BYTES} bytes`);
    const file = path.join(socketDir, socketName);
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    fs.chmodSync(file, 0o600);
    return new RenderGate(server, file, render, held ? 'holding' : 'open');
  }

  /** True once manifests were handed back: from then on, helm may have applied something. */
  get letThrough(): boolean {
    return this.passed;
  }

  /** The report of the last rendering received, if any. */
  get report(): RenderReport | undefined {
    return this.rendered;
  }

  /** The last rendering's report, else the next one's; undefined once `signal` aborts first. */
  whenRendered(signal: AbortSignal): Promise<RenderReport | undefined> {
    if (this.rendered || signal.aborted) return Promise.resolve(this.rendered);
    return new Promise((resolve) => {
      const done = (r: RenderReport | undefined) => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => done(undefined);
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands back every waiting and later rendering. */
  open(): void {
    if (this.state !== 'holding') return;
    this.state = 'open';
    for (const [s, output] of this.held) this.pass(s, output);
    this.held.clear();
  }

  /** Turns every waiting and later post-renderer away, and removes the socket. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const s of this.held.keys()) s.destroy();
    this.held.clear();
    this.server.close();
    fs.rmSync(this.path, { force: true });
  }

  private admit(s: net.Socket): void {
    s.on('error', () => undefined); // a post-renderer killed while waiting is not the action's error
    s.unref();
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => this.answer(s, Buffer.concat(chunks).toString('utf8')));
    s.on('close', () => this.held.delete(s));
  }

  private answer(s: net.Socket, manifests: string): void {
    if (this.state === 'closed') return void s.destroy();
    const { output, report } = this.renderSafely(manifests);
    this.rendered = report;
    for (const w of [...this.waiters]) w(report);
    if (report.error) return void s.end(`${REFUSED}\n${report.error}`);
    const bytes = Buffer.from(output, 'utf8');
    if (this.state === 'open') return this.pass(s, bytes);
    this.held.set(s, bytes);
  }

  private renderSafely(manifests: string): PostRendered {
    try {
      return this.render(manifests);
    } catch (e) {
      const why = (e as Error).message.split('\n')[0];
      return {
        output: '',
        report: { resources: [], containers: [], error: `post-rendering failed: ${why}` },
      };
    }
  }

  private pass(s: net.Socket, output: Buffer): void {
    this.passed = true;
    s.end(Buffer.concat([Buffer.from(`${APPLY} ${output.length}\n`), output]));
  }
}
