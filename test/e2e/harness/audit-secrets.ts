// The planted-secret audit, after the whole e2e suite: no planted secret (test/support/secret-audit.ts)
// and none of the stack's own credentials may appear in any action run's log or outputs, or in any
// file a run left in its temp dir (summaries, GitHub command files, reports, leftovers).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { AUDIT_ENV } from '../../support/secret-audit.js';
import { loadStackEnv } from './stack-env.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The ssh client key tests pass as `ssh-key`: whole, and each base64 line (a partial leak counts)
 * but the first, which is the `openssh-key-v1` header every unencrypted ed25519 key shares.
 */
function sshKeySecrets(file: string | undefined): string[] {
  if (!file || !existsSync(file)) return [];
  const key = readFileSync(file, 'utf8').trim();
  const lines = key.split('\n').filter((line) => !line.startsWith('-----'));
  return [key, ...lines.slice(1)];
}

function stackSecrets(): string[] {
  const env = loadStackEnv();
  const limited = parse(readFileSync(env.KUBECONFIG_LIMITED, 'utf8')) as {
    users?: { user?: { token?: string } }[];
  };
  const admin = parse(readFileSync(env.KUBECONFIG, 'utf8')) as {
    users?: { user?: Record<string, string> }[];
  };
  // the Git server's password, and the Basic header that carries it
  const git = env.GIT_SERVER_PASSWORD
    ? [
        env.GIT_SERVER_PASSWORD,
        Buffer.from(`${env.GIT_SERVER_USER}:${env.GIT_SERVER_PASSWORD}`).toString('base64'),
      ]
    : [];
  return [
    env.AUTH_REGISTRY_PASSWORD,
    ...git,
    ...sshKeySecrets(env.GIT_SSH_KEY),
    ...(limited.users ?? []).map((u) => u.user?.token ?? ''),
    ...(admin.users ?? []).map((u) => u.user?.['client-key-data'] ?? ''),
  ].filter((s) => s.length >= 8);
}

function* filesUnder(p: string): Generator<string> {
  if (!existsSync(p)) return;
  const st = statSync(p);
  if (st.isFile()) {
    if (st.size <= MAX_FILE_BYTES) yield p;
    return;
  }
  if (!st.isDirectory()) return; // FIFOs and sockets hold nothing at rest
  for (const entry of readdirSync(p)) yield* filesUnder(path.join(p, entry));
}

function main(): number {
  const dir = process.env[AUDIT_ENV] ?? path.join(process.cwd(), '.stack', 'audit');
  if (!existsSync(dir)) return 0;
  const planted = existsSync(path.join(dir, 'secrets.txt'))
    ? readFileSync(path.join(dir, 'secrets.txt'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string)
    : [];
  const secrets = [...new Set([...planted, ...stackSecrets()])];
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(dir, f));
  const leftovers = existsSync(path.join(dir, 'paths.txt'))
    ? readFileSync(path.join(dir, 'paths.txt'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as string[])[1]!)
    : [];
  const files = [...new Set([...logs, ...leftovers.flatMap((p) => [...filesUnder(p)])])];
  const leaks: string[] = [];
  for (const file of files) {
    // `::add-mask::<value>` is how a GitHub step tells the runner what to mask: the runner consumes
    // the line and never shows it, so it is the one place a secret is meant to be.
    const text = readFileSync(file, 'latin1')
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    secrets.forEach((s, i) => {
      if (text.includes(s)) leaks.push(`secret #${i + 1} (${s.length} chars) in ${file}`);
    });
  }
  console.log(
    `planted-secret audit: ${secrets.length} secrets, ${logs.length} runs, ${files.length} files: ${leaks.length} leaks`,
  );
  for (const l of leaks) console.error(`leak: ${l}`);
  return leaks.length ? 1 : 0;
}

process.exitCode = main();
