// The config repository's address and how git authenticates to it. Credentials never reach git's
// argv or the repository's .git/config: a token travels as an HTTP header in git's environment
// (GIT_CONFIG_*), an SSH key as a 0600 file in the run's work dir, removed with it.
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError, addSecret } from '@kubeline/runtime';

export type GitScheme = 'https' | 'http' | 'ssh';

export interface GitRemote {
  /** The URL git is given: no user info (credentials travel separately). */
  url: string;
  scheme: GitScheme;
  host: string;
  /** owner/name (GitHub) or group/…/project (GitLab), without `.git`. */
  project: string;
}

export type GitAuth =
  | { kind: 'none' }
  | { kind: 'token'; username: string; token: string }
  | { kind: 'ssh-key'; key: string; knownHosts: string };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;
const SCP_LIKE = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)([A-Za-z0-9._~/-]+)$/;
const PROJECT = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)+$/;
const ALLOWED =
  'an https URL (http only to a loopback host), ssh://host/path or git@host:path — no other transports';

function projectOf(pathname: string, raw: string): string {
  const project = decodeURIComponent(pathname)
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '');
  if (!PROJECT.test(project) || project.split('/').some((s) => s === '.' || s === '..'))
    throw new InputError('repository', raw, 'the path must name a repository, e.g. org/config.git');
  return project;
}

/** `https://…`, `http://127.0.0.1…`, `ssh://…` or `git@host:path`; user info is split off. */
export function parseRepository(raw: string): { remote: GitRemote; password?: string; username?: string } {
  const text = raw.trim();
  // WHATWG URL parsing silently drops tabs and newlines: refuse them before it can.
  if ([...text].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f))
    throw new InputError(
      'repository',
      [...text].map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? '?' : ch)).join(''),
      `${ALLOWED}; no spaces or control characters`,
    );
  const scp = SCP_LIKE.exec(text);
  if (scp) {
    const project = projectOf(scp[3]!, raw);
    return { remote: { url: text, scheme: 'ssh', host: scp[2]!, project } };
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InputError('repository', raw, ALLOWED);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh')
    throw new InputError('repository', raw.replace(/\/\/[^@/]*@/, '//***@'), ALLOWED);
  if (scheme === 'http' && !LOOPBACK.test(u.hostname))
    throw new InputError(
      'repository',
      `${u.protocol}//${u.host}${u.pathname}`,
      'plain http would send the token in the clear: use https (http is accepted for a loopback host only)',
    );
  if (u.search || u.hash)
    throw new InputError('repository', `${u.protocol}//${u.host}${u.pathname}`, 'no query or fragment');
  const project = projectOf(u.pathname, `${u.protocol}//${u.host}${u.pathname}`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  if (password) addSecret(password);
  if (scheme === 'ssh') {
    // ssh carries its user in the URL; only https credentials are split off
    return { remote: { url: text, scheme, host: u.hostname, project } };
  }
  u.username = '';
  u.password = '';
  return {
    remote: { url: u.toString(), scheme, host: u.hostname, project },
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** The user name a token goes with when none is given: what each forge's docs use for tokens. */
export function defaultTokenUser(host: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITLAB_CI || /gitlab/i.test(host)) return 'oauth2';
  return 'x-access-token';
}

/** Checks the credentials fit the transport: a token is for https, a key for ssh. */
export function checkAuthFits(remote: GitRemote, auth: GitAuth): void {
  if (auth.kind === 'token' && remote.scheme === 'ssh')
    throw new UserError(
      `token was given but repository ${remote.url} is an ssh address: use an https URL with a token, or ssh-key`,
    );
  if (auth.kind === 'ssh-key' && remote.scheme !== 'ssh')
    throw new UserError(
      `ssh-key was given but repository ${remote.url} is not an ssh address: use ssh://… or git@host:path`,
    );
}

/** Single-quoted for the shell git runs GIT_SSH_COMMAND with (paths are ours, quoted anyway). */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * git's environment for this remote: no prompts (a missing credential fails, never waits), no
 * system or global config, no credential helpers, only the transports we allow, and the
 * credentials themselves.
 */
export function gitEnvironment(remote: GitRemote, auth: GitAuth, workDir: string): NodeJS.ProcessEnv {
  const config: Array<[string, string]> = [
    ['credential.helper', ''],
    ['core.hooksPath', '/dev/null'],
    ['commit.gpgSign', 'false'],
    ['protocol.version', '2'],
    // a stalled transfer (under 1 KB/s for 60 s) fails instead of hanging the job
    ['http.lowSpeedLimit', '1000'],
    ['http.lowSpeedTime', '60'],
  ];
  const env: NodeJS.ProcessEnv = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: remote.scheme,
    GIT_SSH_COMMAND: undefined,
    LC_ALL: 'C',
  };
  if (auth.kind === 'token') {
    const basic = Buffer.from(`${auth.username}:${auth.token}`).toString('base64');
    addSecret(auth.token);
    addSecret(basic);
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  if (auth.kind === 'ssh-key') env.GIT_SSH_COMMAND = sshCommand(auth, workDir);
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/**
 * The key as ssh can load it: a secret pasted on Windows (CRLF), indented in YAML or stripped of its
 * last newline fails with a bare "error in libcrypto"; none of that whitespace is part of the key.
 */
function keyFileText(key: string): string {
  return `${key
    .trim()
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .join('\n')}\n`;
}

function sshCommand(auth: Extract<GitAuth, { kind: 'ssh-key' }>, workDir: string): string {
  const key = path.join(workDir, 'git-ssh-key');
  const knownHosts = path.join(workDir, 'git-known-hosts');
  fs.writeFileSync(key, keyFileText(auth.key), { mode: 0o600 });
  fs.writeFileSync(knownHosts, auth.knownHosts, { mode: 0o600 });
  return [
    'ssh',
    '-i',
    shellQuote(key),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${shellQuote(knownHosts)}`,
    // only the known-hosts input vouches for a host, not the runner's /etc/ssh/ssh_known_hosts
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'ConnectTimeout=30',
  ].join(' ');
}
