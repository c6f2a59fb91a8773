// A scratch Git project that gitlab-ci-local takes for kubeline's own GitLab project: the components
// (templates/) committed, origin `gitlab.com/kubeline/kubeline`. gitlab-ci-local then resolves a
// `component:` include of that project at the checked-out commit — and a `local:` include — from
// the working tree, offline.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runProcess } from './processes.js';

/** Copies templates/ into `dir`, commits it and returns the commit. */
export async function componentsProject(dir: string): Promise<string> {
  fs.cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  const git = (...args: string[]) =>
    runProcess('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {}, dir);
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'templates');
  await git('remote', 'add', 'origin', 'https://gitlab.com/kubeline/kubeline.git');
  await git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  await git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}
