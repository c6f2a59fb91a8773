// The gate between helm's render and its apply, for a helm started before the lock is held (see
// ahead.ts): the post-renderer holds the rendered manifests until the action says "go" over a unix
// socket in the run's private work dir. Anything else (the gate closed, the action gone, the socket
// unreachable) makes the post-renderer fail, and helm then applies nothing.
import fs from 'node:fs';
import net from 'node:net';

const GO = 'go\n';
/** Linux keeps a socket's path in 108 bytes, its NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;

type GateState = 'holding' | 'open' | 'closed';

export class ApplyGate {
  private state: GateState = 'holding';
  private readonly held = new Set<net.Socket>();
  private passed = false;

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
  ) {
    server.on('connection', (s) => this.admit(s));
  }

  /** A gate listening at `file`; undefined when the path is too long for a socket. */
  static async listen(file: string): Promise<ApplyGate | undefined> {
    if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES) return undefined;
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    fs.chmodSync(file, 0o600);
    return new ApplyGate(server, file);
  }

  /** True once a post-renderer was let through: from then on, helm may have applied something. */
  get letThrough(): boolean {
    return this.passed;
  }

  /** Lets every waiting and later post-renderer through. */
  open(): void {
    if (this.state !== 'holding') return;
    this.state = 'open';
    for (const s of this.held) this.pass(s);
    this.held.clear();
  }

  /** Turns every waiting and later post-renderer away, and removes the socket. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const s of this.held) s.destroy();
    this.held.clear();
    this.server.close();
    fs.rmSync(this.path, { force: true });
  }

  private admit(s: net.Socket): void {
    s.on('error', () => undefined); // a post-renderer killed while waiting is not the action's error
    s.unref();
    if (this.state === 'open') return this.pass(s);
    if (this.state === 'closed') return void s.destroy();
    this.held.add(s);
    s.on('close', () => this.held.delete(s));
  }

  private pass(s: net.Socket): void {
    this.passed = true;
    s.end(GO);
  }
}

/** The post-renderer's side: resolves true on "go", false on anything else. */
export function awaitGo(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const s = net.connect(file);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (answer += d));
    s.on('close', () => resolve(answer === GO));
    s.on('error', () => resolve(false));
  });
}
