// The stack's Git server (git-http.ts run by Node): smart HTTP with Basic auth on 127.0.0.1, the
// bare repositories under .stack/git/<owner>/<name>.git. Tests create repositories on disk
// (test/e2e/harness/gitops.ts); the server itself never creates one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { host, ports, urls } from './addresses.js';
import type { Daemon } from './component.js';
import { stackPassword } from './stack-password.js';
import { paths, repoRoot } from './paths.js';
import { basicAuth, expectOk, httpGet } from './probes.js';

export const gitServerUser = 'kubeline';
const passwordFile = join(paths.gitServer, 'password');

export const gitServerPassword = () => stackPassword(passwordFile);

export const gitServer: Daemon = {
  kind: 'daemon',
  name: 'git-server',
  ports: [ports.gitServer],
  startTimeoutMs: 30_000,
  async prepare() {
    mkdirSync(paths.git, { recursive: true });
    gitServerPassword();
    return {
      argv: [
        process.execPath,
        '--import',
        'tsx',
        join(repoRoot, 'test', 'stack', 'git-http-main.ts'),
        `--listen=${host}:${ports.gitServer}`,
        `--root=${paths.git}`,
        `--user=${gitServerUser}`,
        `--password-file=${passwordFile}`,
      ],
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    };
  },
  async health() {
    await expectOk(`${urls.gitServer}/healthz`);
    // auth is checked before the repository is looked up: anonymous 401, the stack's user 404
    const probe = `${urls.gitServer}/kubeline/health-probe.git/info/refs?service=git-upload-pack`;
    const anonymous = await httpGet(probe);
    if (anonymous.status !== 401)
      throw new Error(`anonymous info/refs answered ${anonymous.status}, want 401`);
    const authorized = await httpGet(probe, { headers: basicAuth(gitServerUser, gitServerPassword()) });
    if (authorized.status !== 404)
      throw new Error(`authorized info/refs of a missing repository answered ${authorized.status}, want 404`);
    return `${urls.gitServer} (smart HTTP, basic auth), repositories in ${paths.git}`;
  },
};
