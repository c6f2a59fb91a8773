// The repository input: which transports are accepted, where credentials go, and git's environment.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { InputError, UserError, mask } from '@kubeline/runtime';
import { gitReason } from '../src/git.js';
import { checkAuthFits, gitEnvironment, parseRepository } from '../src/git-remote.js';

describe('parseRepository', () => {
  test.each([
    ['https://github.com/org/config.git', 'https', 'github.com', 'org/config'],
    ['https://gitlab.example.com/group/sub/config', 'https', 'gitlab.example.com', 'group/sub/config'],
    ['http://127.0.0.1:8080/git/config.git', 'http', '127.0.0.1', 'git/config'],
    ['ssh://git@github.com/org/config.git', 'ssh', 'github.com', 'org/config'],
    ['git@github.com:org/config.git', 'ssh', 'github.com', 'org/config'],
  ])('%s', (raw, scheme, host, project) => {
    const { remote } = parseRepository(raw);
    expect(remote).toMatchObject({ scheme, host, project });
  });

  test('https credentials in the URL are split off, masked, and not in the URL git gets', () => {
    const r = parseRepository('https://bot:s3cr%40t-token@github.com/org/config.git');
    expect(r.remote.url).toBe('https://github.com/org/config.git');
    expect(r.username).toBe('bot');
    expect(r.password).toBe('s3cr@t-token');
    expect(mask('token s3cr@t-token')).not.toContain('s3cr@t-token');
  });

  test.each([
    ['ext::sh -c touch% /tmp/pwned', 'transport'],
    ['file:///etc/passwd', 'transport'],
    ['/srv/git/config.git', 'transport'],
    ['-uhttps://github.com/org/config', 'transport'],
    ['http://github.com/org/config.git', 'loopback'],
    ['https://github.com/org/../../etc', 'repository'],
    ['https://github.com/', 'repository'],
    ['https://github.com/org/config.git?x=1', 'query'],
    ['https://github.com/org/config\nhttps://evil', 'control'],
  ])('refuses %j in one line', (raw, word) => {
    let err: unknown;
    try {
      parseRepository(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message).toContain('repository');
    expect(message).toMatch(new RegExp(word, 'i'));
    expect(message.split('\n')).toHaveLength(1);
  });

  test('a refused URL never echoes its password', () => {
    expect(() => parseRepository('ftp://bot:hunter2-secret@example.com/org/x')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2-secret') }) as Error,
    );
  });
});

describe('credentials', () => {
  const work = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-gitops-'));

  test('a token travels as a header in the environment, never in argv or config files', () => {
    const { remote } = parseRepository('https://github.com/org/config.git');
    const env = gitEnvironment(
      remote,
      { kind: 'token', username: 'x-access-token', token: 'ghs_abc123' },
      work(),
    );
    const header = Object.entries(env).find(([, v]) => v?.startsWith('Authorization: Basic '));
    expect(header).toBeDefined();
    expect(Buffer.from(header![1]!.slice(21), 'base64').toString()).toBe('x-access-token:ghs_abc123');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(env.GIT_ALLOW_PROTOCOL).toBe('https');
    expect(env.GIT_CONFIG_GLOBAL).toBe('/dev/null');
    expect(mask(header![1]!)).not.toContain(header![1]!.slice(21));
  });

  test('an ssh key is written 0600 in the work dir and hosts are checked strictly', () => {
    const dir = work();
    const { remote } = parseRepository('git@github.com:org/config.git');
    const env = gitEnvironment(
      remote,
      { kind: 'ssh-key', key: 'KEY', knownHosts: 'github.com ssh-ed25519 AAA' },
      dir,
    );
    expect(fs.statSync(path.join(dir, 'git-ssh-key')).mode & 0o777).toBe(0o600);
    expect(env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=yes');
    expect(env.GIT_SSH_COMMAND).toContain('GlobalKnownHostsFile=/dev/null');
    expect(env.GIT_SSH_COMMAND).not.toContain('KEY ');
  });

  test('a token for an ssh address (and a key for https) is refused', () => {
    const ssh = parseRepository('git@github.com:org/config.git').remote;
    const https = parseRepository('https://github.com/org/config.git').remote;
    expect(() => checkAuthFits(ssh, { kind: 'token', username: 'u', token: 't' })).toThrow(UserError);
    expect(() => checkAuthFits(https, { kind: 'ssh-key', key: 'k', knownHosts: 'h' })).toThrow(UserError);
  });

  test.each([
    ['CRLF line ends', (k: string) => k.replace(/\n/g, '\r\n')],
    ["a YAML block's indentation", (k: string) => k.replace(/^/gm, '    ')],
    ['no last newline', (k: string) => k.trimEnd()],
  ])('a key pasted with %s is written so ssh loads it', (_, mangle) => {
    const dir = work();
    const original = path.join(dir, 'original');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', original], { timeout: 30_000 });
    const pasted = mangle(fs.readFileSync(original, 'utf8'));
    const { remote } = parseRepository('ssh://git@127.0.0.1:2222/org/config.git');
    gitEnvironment(remote, { kind: 'ssh-key', key: pasted, knownHosts: 'h' }, dir);
    // ssh-keygen -y loads the private key as ssh would, and derives its public half
    const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(dir, 'git-ssh-key')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(derived.split(' ').slice(0, 2)).toEqual(
      fs.readFileSync(`${original}.pub`, 'utf8').split(' ').slice(0, 2),
    );
  });
});

// ssh's stderr as OpenSSH 9.2 prints it before git's "Could not read from remote repository".
const gitTail =
  'fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n';

describe('ssh failures in one line', () => {
  test.each([
    [
      'a host missing from known-hosts',
      'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n',
      'host key verification failed: known-hosts has no ED25519 key for [127.0.0.1]:2222',
    ],
    [
      'a host key that differs',
      '@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key for [127.0.0.1]:2222 has changed and you have requested strict checking.\nHost key verification failed.\n',
      'host key verification failed: [127.0.0.1]:2222 showed a host key that is not the one in known-hosts',
    ],
    [
      'a bare host key failure',
      'Host key verification failed.\n',
      'host key verification failed (see known-hosts)',
    ],
    [
      'a key ssh cannot load',
      'Load key "/tmp/kubeline-x/git-ssh-key": error in libcrypto\ngit@github.com: Permission denied (publickey).\n',
      'ssh-key could not be loaded (error in libcrypto): is it an unencrypted private key?',
    ],
    [
      'a key the server refuses',
      'git@github.com: Permission denied (publickey).\n',
      'git@github.com refused ssh-key (Permission denied (publickey))',
    ],
  ])('%s', (_, ssh, reason) => {
    expect(gitReason(`${ssh}${gitTail}`)).toBe(reason);
  });

  test("git's own reason when ssh got through", () => {
    expect(gitReason("fatal: '/srv/x.git' does not appear to be a git repository\n" + gitTail)).toBe(
      "'/srv/x.git' does not appear to be a git repository",
    );
  });
});
