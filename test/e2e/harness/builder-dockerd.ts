// A private dockerd for docker-container buildx builders, for machines where `docker run --privileged`
// fails with runc's "unable to apply caps": the VM's capability bounding set lacks one that
// --privileged grants (here CAP_SYS_RESOURCE), and buildx always asks for --privileged. Its default
// runtime is runc behind a small filter that drops the capabilities the bounding set lacks; nothing else
// differs from the stack's dockerd (loopback only, no bridge, no iptables).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../stack/command.js';
import { NODE } from '../../support/processes.js';
import { scratchDir } from './scratch.js';
import { run } from './tools.js';

/** runc, with every capability the bounding set lacks removed from the container or exec process spec. */
const RUNC_FILTER = `#!${NODE}
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const args = process.argv.slice(2);
const at = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const file = args.includes('exec') ? at('--process') : args.includes('create') || args.includes('run') ? (at('--bundle') ?? '.') + '/config.json' : undefined;
if (file) {
  const bounding = BigInt('0x' + /^CapBnd:\\s+(\\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  const names = ${JSON.stringify(capabilityNames())};
  const missing = new Set(names.filter((_, i) => !((bounding >> BigInt(i)) & 1n)));
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  const caps = spec.capabilities ?? spec.process?.capabilities ?? {};
  for (const k of Object.keys(caps)) caps[k] = caps[k].filter((c) => !missing.has(c));
  fs.writeFileSync(file, JSON.stringify(spec));
}
try {
  execFileSync('/usr/sbin/runc', args, { stdio: 'inherit' });
} catch (e) {
  process.exit(e.status ?? 1);
}
`;

function capabilityNames(): string[] {
  return (
    'CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE ' +
    'NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT ' +
    'SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE ' +
    'AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ ' +
    'PERFMON BPF CHECKPOINT_RESTORE'
  )
    .split(' ')
    .map((n) => `CAP_${n}`);
}

export interface BuilderDockerd {
  host: string;
  stop(): Promise<void>;
}

/** Starts the private dockerd and waits until it answers; stop() removes its containers and ends it. */
export async function startBuilderDockerd(): Promise<BuilderDockerd> {
  const dir = scratchDir('builder-dockerd');
  const filter = join(dir, 'runc-caps');
  writeFileSync(filter, RUNC_FILTER, { mode: 0o755 });
  const host = `unix://${join(dir, 'docker.sock')}`;
  const child: ChildProcess = spawn(
    'dockerd',
    [
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'x')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
      `--host=${host}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--insecure-registry=127.0.0.1:5000',
      `--add-runtime=kubeline-runc-caps=${filter}`,
      '--default-runtime=kubeline-runc-caps',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await run(['docker', 'version', '--format', '{{.Server.Version}}'], { DOCKER_HOST: host });
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGTERM');
        throw new Error(`the builder dockerd did not start: ${(err as Error).message}`, { cause: err });
      }
      await sleep(300);
    }
  }
  return {
    host,
    async stop() {
      const ps = await run(['docker', 'ps', '-aq'], { DOCKER_HOST: host }).catch(() => ({ stdout: '' }));
      const ids = ps.stdout.split('\n').filter(Boolean);
      if (ids.length) await run(['docker', 'rm', '-f', ...ids], { DOCKER_HOST: host }).catch(() => undefined);
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000, undefined, { ref: false })]);
      if (existsSync(join(dir, 'dockerd.pid'))) child.kill('SIGKILL');
      // dockerd leaves its default network namespace mounted in the exec root
      await runCommand(['umount', join(dir, 'x', 'netns', 'default')]).catch(() => undefined);
    },
  };
}
