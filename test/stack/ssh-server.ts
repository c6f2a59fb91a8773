// The stack's Git-over-SSH server: Debian's OpenSSH sshd with a config, host key and authorized_keys
// of its own, on 127.0.0.1 only. No ForceCommand: the client's `git-upload-pack '<path>'` runs as the
// stack's user against the same bare repositories under .stack/git the HTTP server serves, so a test
// makes a repository once and reaches it either way.
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { host, ports } from './addresses.js';
import { CommandError, runCommand } from './command.js';
import type { Daemon } from './component.js';
import { paths } from './paths.js';

const dir = paths.sshServer;
const sshd = '/usr/sbin/sshd'; // absolute: sshd re-executes itself for each connection
// Debian's sshd chroots its privilege-separated child here when run as root (compiled in).
const privsepDir = '/run/sshd';
const madePrivsepMarker = join(dir, 'made-run-sshd');

export const sshFiles = {
  config: join(dir, 'sshd_config'),
  hostKey: join(dir, 'host_ed25519_key'),
  clientKey: join(dir, 'client_ed25519_key'),
  authorizedKeys: join(dir, 'authorized_keys'),
  /** The line a client trusts: `[127.0.0.1]:<port> ssh-ed25519 …` (ssh's form for a non-22 port). */
  knownHosts: join(dir, 'known_hosts'),
};

export const sshUser = () => userInfo().username;
/** A repository is `${sshBaseUrl()}/<owner>/<name>.git`: the absolute path of .stack/git on this host. */
export const sshBaseUrl = () => `ssh://${sshUser()}@${host}:${ports.sshServer}${paths.git}`;

async function ensureKey(file: string, comment: string): Promise<void> {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  await runCommand(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    timeoutMs: 30_000,
  });
}

const publicKey = (file: string) => readFileSync(`${file}.pub`, 'utf8').trim();

function config(): string {
  return [
    `ListenAddress ${host}:${ports.sshServer}`,
    `HostKey ${sshFiles.hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${sshFiles.authorizedKeys}`,
    // the checkout may sit under a world-writable folder (a clone in /tmp): StrictModes would refuse
    // every key there; this server's files are the stack's own, made 0600/0700 by it
    'StrictModes no',
    `AllowUsers ${sshUser()}`,
    // CI runs the stack as root: a key is the only way in, for root too
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // git only runs a command over the session: nothing else a session could do is allowed
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitTTY no',
    'PermitUserEnvironment no',
    'PermitUserRC no',
    'UseDNS no',
    'PrintMotd no',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

async function writeConfig(): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.git, { recursive: true });
  await ensureKey(sshFiles.hostKey, 'kubeline-stack-host');
  await ensureKey(sshFiles.clientKey, 'kubeline-stack-client');
  // `restrict`: no pty, forwarding or ~/.ssh/rc for this key, whatever sshd_config says
  writeFileSync(sshFiles.authorizedKeys, `restrict ${publicKey(sshFiles.clientKey)}\n`, { mode: 0o600 });
  const [type, key] = publicKey(sshFiles.hostKey).split(' ');
  writeFileSync(sshFiles.knownHosts, `[${host}]:${ports.sshServer} ${type} ${key}\n`, { mode: 0o600 });
  writeFileSync(sshFiles.config, config(), { mode: 0o600 });
  if (process.getuid?.() === 0 && !existsSync(privsepDir)) {
    mkdirSync(privsepDir, { mode: 0o755 });
    writeFileSync(madePrivsepMarker, '');
  }
}

/** argv of an ssh client that trusts only the stack's host key and logs in with the stack's client key. */
export function sshClient(): string[] {
  return [
    'ssh',
    '-F',
    '/dev/null',
    '-i',
    sshFiles.clientKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${sshFiles.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(ports.sshServer),
    `${sshUser()}@${host}`,
  ];
}

export const sshServer: Daemon = {
  kind: 'daemon',
  name: 'ssh-server',
  ports: [ports.sshServer],
  startTimeoutMs: 30_000,
  async prepare() {
    await writeConfig();
    // -t first: a config sshd refuses fails here with its reason, not as a silent exit
    await runCommand([sshd, '-t', '-f', sshFiles.config], { timeoutMs: 10_000 });
    return { argv: [sshd, '-D', '-e', '-f', sshFiles.config], env: { PATH: process.env.PATH } };
  },
  async health() {
    // host key, key login and a git command in one go: a missing repository is git's own refusal
    const probe = join(paths.git, 'kubeline', 'health-probe.git');
    try {
      await runCommand([...sshClient(), `git-upload-pack '${probe}'`], { timeoutMs: 10_000 });
    } catch (error) {
      if (error instanceof CommandError && /does not appear to be a git repository/.test(error.stderr))
        return `ssh://${host}:${ports.sshServer} (key only, user ${sshUser()}), repositories in ${paths.git}`;
      throw error;
    }
    throw new Error(`git-upload-pack of a missing repository succeeded over ssh`);
  },
  async cleanup() {
    if (!existsSync(madePrivsepMarker)) return;
    try {
      rmdirSync(privsepDir); // only when empty: a system sshd may have started using it since
    } catch {
      // not empty, or gone already
    }
    rmSync(madePrivsepMarker, { force: true });
  },
};
