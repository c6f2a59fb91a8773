// What helm runs as its post-renderer: a relay, not the post-renderer itself. It sends helm's
// rendered manifests to the action over a unix socket in the run's private work dir (render-gate.ts)
// and prints what the action answers. The action annotates and checks the manifests in its own,
// already warm process; this process loads nothing but node:net, so helm waits only on node's
// start. Anything but a whole answer (the action gone, the gate closed, a cut connection) fails,
// and helm then applies nothing.
import net from 'node:net';

/** `apply <bytes>\n<manifests>`: the length tells a whole answer from a cut one. */
export const APPLY = 'apply';
/** `refused\n<one line>`: the manifests break a rule; helm shows the line and applies nothing. */
export const REFUSED = 'refused';

/** The action's answer as helm needs it: the manifests to apply, or the line to fail with. */
export function readAnswer(answer: Buffer): { manifests: Buffer } | { error: string } {
  const eol = answer.indexOf(0x0a);
  const head = eol < 0 ? '' : answer.subarray(0, eol).toString('utf8');
  const body = answer.subarray(eol + 1);
  if (head === `${APPLY} ${body.length}`) return { manifests: body };
  if (head === REFUSED) return { error: body.toString('utf8') };
  return { error: 'the deploy did not go ahead; nothing was applied' };
}

/** stdin → the gate; the gate's answer → stdout, or one line on stderr and exit code 1. */
export function relay(socket: string): Promise<void> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const gate = net.connect(socket);
    gate.on('data', (d: Buffer) => chunks.push(d));
    gate.on('error', () => undefined); // 'close' follows, and an empty answer fails
    gate.on('close', () => {
      const answer = readAnswer(Buffer.concat(chunks));
      if ('manifests' in answer) process.stdout.write(answer.manifests);
      else {
        process.stderr.write(`kubeline: ${answer.error}\n`);
        process.exitCode = 1;
      }
      process.stdin.destroy();
      resolve();
    });
    process.stdin.pipe(gate);
  });
}
