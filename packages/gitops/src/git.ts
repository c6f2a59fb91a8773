// The config repository as a shallow working copy: only the branch tips a promotion needs are
// fetched, commits are made locally and pushed without force. Every git call is bounded.
import fs from 'node:fs';
import { ToolError, TransientError, UserError, exec, log, retry } from '@kubeline/runtime';
import type { GitRemote } from './git-remote.js';

const NETWORK_MS = 2 * 60_000;
const LOCAL_MS = 30_000;
const SHA = /^[0-9a-f]{40}$/;
// What git prints when the server or the network failed, not the request: worth another try.
const TRANSIENT =
  /returned error: (5\d\d|429)|HTTP (5\d\d|429)|Connection refused|Connection reset|Connection timed out|Operation timed out|early EOF|RPC failed|unexpected disconnect|Could not resolve host|Empty reply/i;

export interface Author {
  name: string;
  email: string;
}

export type PushOutcome = { ok: true } | { ok: false; retry: boolean; reason: string };

export class Checkout {
  private constructor(
    readonly dir: string,
    readonly remote: GitRemote,
    private readonly env: NodeJS.ProcessEnv,
    private readonly secrets: string[],
  ) {}

  /** An empty repository in `dir` whose origin is the remote; nothing is fetched yet. */
  static async init(
    dir: string,
    remote: GitRemote,
    env: NodeJS.ProcessEnv,
    secrets: string[],
  ): Promise<Checkout> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const c = new Checkout(dir, remote, env, secrets);
    await c.git(['init', '--quiet', '--initial-branch=kubeline-work'], LOCAL_MS);
    await c.git(['remote', 'add', 'origin', '--', remote.url], LOCAL_MS);
    return c;
  }

  /**
   * A network call: a server answering 5xx/429 or a dropped connection is retried (bounded, with
   * backoff); anything else is returned for the caller to explain.
   */
  private async network(args: string[]) {
    return retry(
      async () => {
        const r = await this.git(args, NETWORK_MS, true);
        if (r.code !== 0 && TRANSIENT.test(r.stderr))
          throw new TransientError(`git ${args[0]}: ${gitReason(r.stderr)}`);
        return r;
      },
      { onRetry: (e, n) => log.warning(`${(e as Error).message}; retry ${n}`) },
    ).catch((e: unknown) => {
      if (e instanceof TransientError)
        throw new UserError(`${e.message} (${this.remote.url}, gave up after retries)`);
      throw e;
    });
  }

  private async git(args: string[], timeoutMs: number, allowFailure = false) {
    try {
      return await exec('git', args, {
        cwd: this.dir,
        env: this.env,
        timeoutMs,
        secrets: this.secrets,
        silent: true,
        allowFailure,
      });
    } catch (e) {
      if (e instanceof ToolError && e.timedOut)
        throw new UserError(
          `git ${args[0]} on ${this.remote.url} did not finish within ${timeoutMs / 1000} s`,
        );
      throw e;
    }
  }

  /** The tip of a remote branch, fetched shallowly; undefined when the branch does not exist. */
  async fetch(branch: string, depth = 1): Promise<string | undefined> {
    const ref = `refs/remotes/origin/${branch}`;
    const r = await this.network([
      'fetch',
      '--quiet',
      '--no-tags',
      `--depth=${depth}`,
      'origin',
      `+refs/heads/${branch}:${ref}`,
    ]);
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) return undefined;
      throw new UserError(`git fetch of ${branch} from ${this.remote.url} failed: ${gitReason(r.stderr)}`);
    }
    return this.revParse(ref);
  }

  /** Makes a commit reachable at depth: for ancestry checks against a later revision. */
  async fetchCommit(sha: string, depth: number): Promise<boolean> {
    if (!SHA.test(sha)) return false;
    const r = await this.network(['fetch', '--quiet', '--no-tags', `--depth=${depth}`, 'origin', sha]);
    return r.code === 0;
  }

  async revParse(ref: string): Promise<string> {
    return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], LOCAL_MS)).stdout.trim();
  }

  /** A clean working tree at `sha` (detached), whatever was there before. */
  async checkout(sha: string): Promise<void> {
    await this.git(['checkout', '--quiet', '--force', '--detach', sha], LOCAL_MS);
    await this.git(['clean', '--quiet', '-fdx'], LOCAL_MS);
  }

  /** Commits the named files; the message goes through stdin, never argv. */
  async commit(files: string[], message: string, author: Author): Promise<string> {
    await this.git(['add', '--', ...files], LOCAL_MS);
    await exec('git', ['commit', '--quiet', '--no-verify', '--file=-'], {
      cwd: this.dir,
      env: { ...this.env, ...authorEnv(author) },
      input: message,
      timeoutMs: LOCAL_MS,
      silent: true,
    });
    return this.revParse('HEAD');
  }

  /**
   * Pushes `sha` to the branch, never forcing: a branch that moved meanwhile rejects it, and the
   * caller starts over from the new tip.
   */
  async push(sha: string, branch: string): Promise<PushOutcome> {
    return this.pushRefspec(`${sha}:refs/heads/${branch}`);
  }

  private async pushRefspec(refspec: string): Promise<PushOutcome> {
    // A push that failed in transit changed nothing (a ref update is atomic): safe to send again.
    const r = await this.network(['push', '--porcelain', '--no-verify', 'origin', refspec]);
    if (r.code === 0) return { ok: true };
    const line = r.stdout.split('\n').find((l) => l.startsWith('!')) ?? '';
    const reason = /\(([^)]*)\)\s*$/.exec(line)?.[1] ?? gitReason(r.stderr);
    // a concurrent push holding the server's ref lock reads as "failed to update ref": retried too
    const retry =
      /fetch first|non-fast-forward|stale info|cannot lock ref|incorrect old value|failed to (update|lock) ref/i.test(
        `${line} ${reason}`,
      );
    return { ok: false, retry, reason };
  }

  /**
   * Commit shas and messages touching `paths`, newest first, as far as the fetched history goes;
   * with `notes`, each commit's note in that notes ref too.
   */
  async log(
    ref: string,
    paths: string[],
    max: number,
    notes?: string,
  ): Promise<Array<{ sha: string; message: string; note: string }>> {
    const format = notes ? ['--notes=' + notes, '--format=%H%x1f%B%x1f%N%x1e'] : ['--format=%H%x1f%B%x1e'];
    const r = await this.git(['log', `--max-count=${max}`, ...format, ref, '--', ...paths], LOCAL_MS);
    return r.stdout
      .split('\x1e')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [sha = '', message = '', note = ''] = entry.split('\x1f');
        return { sha, message, note };
      });
  }

  /**
   * The remote's notes ref, fetched over the local one (a ref nobody wrote yet leaves none);
   * false when the remote has no such ref.
   */
  async fetchNotes(ref: string): Promise<boolean> {
    const r = await this.network(['fetch', '--quiet', '--no-tags', 'origin', `+${ref}:${ref}`]);
    if (r.code === 0) return true;
    if (!/couldn't find remote ref/i.test(r.stderr))
      throw new UserError(`git fetch of ${ref} from ${this.remote.url} failed: ${gitReason(r.stderr)}`);
    await this.git(['update-ref', '-d', ref], LOCAL_MS, true);
    return false;
  }

  /** Appends a line to `sha`'s note in `ref` (a commit of the notes ref, by `author`). */
  async appendNote(ref: string, sha: string, line: string, author: Author): Promise<void> {
    await exec('git', ['notes', `--ref=${ref}`, 'append', '--file=-', sha], {
      cwd: this.dir,
      env: { ...this.env, ...authorEnv(author) },
      input: `${line}\n`,
      timeoutMs: LOCAL_MS,
      silent: true,
    });
  }

  /** Pushes a local ref to the same name on the remote, never forcing. */
  async pushRef(ref: string): Promise<PushOutcome> {
    return this.pushRefspec(`${ref}:${ref}`);
  }

  /** Is `ancestor` in the history of `descendant`? Both must have been fetched deep enough. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], LOCAL_MS, true);
    return r.code === 0;
  }
}

function authorEnv(author: Author): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

/**
 * ssh's reason in the inputs' terms: git's own line after it ("Could not read from remote
 * repository") would hide whether the host key, the key or the key file was at fault.
 */
export function sshReason(stderr: string): string | undefined {
  const unknown = /No (\S+) host key is known for (\S+)/.exec(stderr);
  if (unknown) return `host key verification failed: known-hosts has no ${unknown[1]} key for ${unknown[2]}`;
  const changed = /Host key for (\S+) has changed/.exec(stderr);
  if (changed)
    return `host key verification failed: ${changed[1]} showed a host key that is not the one in known-hosts`;
  if (/Host key verification failed/.test(stderr)) return 'host key verification failed (see known-hosts)';
  const load = /^Load key "[^"]*": (.*)$/m.exec(stderr);
  if (load) return `ssh-key could not be loaded (${load[1]!.trim()}): is it an unencrypted private key?`;
  const denied = /^(\S+): Permission denied \(([^)]*)\)/m.exec(stderr);
  if (denied) return `${denied[1]} refused ssh-key (Permission denied (${denied[2]}))`;
  return undefined;
}

/** git's own last line, without the `fatal:` prefix (it carries the server's reason); ssh's first. */
export function gitReason(stderr: string): string {
  const ssh = sshReason(stderr);
  if (ssh) return ssh;
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? 'no reason given';
  return fatal.replace(/^(fatal|error):\s*/, '');
}
