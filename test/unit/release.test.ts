// The release's local steps run for real: the tag/version/CHANGELOG check (scripts/changelog.ts), the
// major-tag move and the release commit + tag (scripts/release/) between a scratch clone and its bare
// origin, the job image pin's own checks, what
// `npm pack` would ship, and the shape of .github/workflows/release.yml (jobs, order, permissions).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { changelogSection } from '../../scripts/changelog.js';
import { NODE, ROOT, runProcess, type Ran } from '../support/processes.js';

const CHANGELOG_TS = path.join(ROOT, 'scripts', 'changelog.ts');
const MOVE_MAJOR = path.join(ROOT, 'scripts', 'release', 'move-major-tag.sh');
const TAG_RELEASE = path.join(ROOT, 'scripts', 'release', 'tag-release.sh');
const CHECK_JOB_IMAGE = path.join(ROOT, 'scripts', 'release', 'check-job-image.sh');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const output = (r: Ran) => (r.stdout + r.stderr).trim();

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await runProcess('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {}, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('scripts/changelog.ts (release notes, tag check)', () => {
  // plain Node 24, as the release job runs it without `npm ci`
  const notes = (arg: string, cwd = ROOT) => runProcess(NODE, [CHANGELOG_TS, arg], {}, cwd);

  it('prints the section of package.json’s version, for the version and for its tag', async () => {
    for (const arg of [pkg.version, `v${pkg.version}`]) {
      const r = await notes(arg);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\S/);
      expect(r.stdout).toContain('### Added');
      expect(r.stdout).not.toMatch(/^## |^\[[^\]]+\]: /m);
    }
  });

  it('refuses a tag that is not v + package.json’s version, in one line', async () => {
    const r = await notes('v9.9.9');
    expect(r.code).toBe(1);
    expect(output(r)).toBe(
      `changelog: tag v9.9.9 is not v + package.json's version ${pkg.version} (expected tag v${pkg.version})`,
    );
  });

  it('refuses a version without a section, or with an empty one, in one line', async () => {
    const dir = tempDir('kubeline-changelog-');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.2.0' }));
    fs.writeFileSync(path.join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [Unreleased]\n\n## [1.1.0]\n\n- x\n');
    let r = await notes('v1.2.0', dir);
    expect(r.code).toBe(1);
    expect(output(r)).toBe('changelog: CHANGELOG.md has no section "## [1.2.0]"');
    r = await notes('1.1.0', dir);
    expect(output(r)).toBe("changelog: version 1.1.0 is not package.json's version 1.2.0");
    fs.writeFileSync(path.join(dir, 'CHANGELOG.md'), '## [1.2.0] - 2026-12-01\n\n## [1.1.0]\n\n- x\n');
    r = await notes('1.2.0', dir);
    expect(output(r)).toBe('changelog: CHANGELOG.md\'s section "## [1.2.0]" is empty');
  });

  it('cuts a section at the next heading or the link list, and matches versions exactly', () => {
    const text = [
      '## [Unreleased]',
      '## [1.10.0] - 2026-12-01',
      '- ten',
      '## [1.1.0]',
      '### Fixed',
      '- one',
      '',
      '[1.1.0]: https://example.invalid/v1.1.0',
    ].join('\n');
    expect(changelogSection(text, '1.1.0')).toBe('### Fixed\n- one');
    expect(changelogSection(text, '1.10.0')).toBe('- ten');
    expect(changelogSection(text, '1.1')).toBeUndefined();
    expect(changelogSection(text, '1.1.0.0')).toBeUndefined();
  });
});

describe('scripts/release/move-major-tag.sh in a scratch clone', () => {
  let origin: string;
  let clone: string;
  /** What the remote says each tag points to (peeled to the commit). */
  const remoteTags = async (): Promise<Record<string, string>> => {
    const tags: Record<string, string> = {};
    for (const line of (await git(clone, 'ls-remote', '--tags', 'origin')).split('\n').filter(Boolean)) {
      const [sha, ref] = line.split('\t') as [string, string];
      const name = ref.replace(/^refs\/tags\//, '');
      if (name.endsWith('^{}')) tags[name.slice(0, -3)] = sha;
      else tags[name] ??= sha;
    }
    return tags;
  };
  const release = async (tag: string, annotated = true) => {
    if (annotated) await git(clone, 'tag', '-a', tag, '-m', tag);
    else await git(clone, 'tag', tag);
    await git(clone, 'push', '-q', 'origin', `refs/tags/${tag}`);
    return runProcess('bash', [MOVE_MAJOR, tag], {}, clone);
  };
  const commit = async (msg: string) => {
    await git(clone, 'commit', '-q', '--allow-empty', '-m', msg);
    return git(clone, 'rev-parse', 'HEAD');
  };

  beforeAll(async () => {
    origin = tempDir('kubeline-origin-');
    await git(origin, 'init', '-q', '--bare', '-b', 'main');
    clone = path.join(tempDir('kubeline-clone-'), 'work');
    await git(path.dirname(clone), 'clone', '-q', origin, clone);
  });

  it('creates v0 at the first release, moves it on the next, and never moves a version tag', async () => {
    const first = await commit('first');
    await git(clone, 'push', '-q', 'origin', 'HEAD:main');
    let r = await release('v0.1.0');
    expect(output(r)).toBe(`move-major-tag: v0 -> v0.1.0 (${first})`);
    expect(r.code).toBe(0);
    expect(await remoteTags()).toEqual({ 'v0.1.0': first, v0: first });

    const second = await commit('second');
    r = await release('v0.2.0', false);
    expect(output(r)).toBe(`move-major-tag: v0 -> v0.2.0 (${second})`);
    expect(await remoteTags()).toEqual({ 'v0.1.0': first, 'v0.2.0': second, v0: second });

    // a backported fix of an older minor does not pull v0 back
    await git(clone, 'checkout', '-q', '-b', 'release-0.1', 'v0.1.0');
    const fix = await commit('fix');
    r = await release('v0.1.1');
    expect(r.code).toBe(0);
    expect(output(r)).toBe('move-major-tag: v0.2.0 is newer than v0.1.1; v0 stays where it is');
    // a pre-release moves nothing either
    r = await release('v0.3.0-rc.1');
    expect(output(r)).toBe('move-major-tag: v0.3.0-rc.1 is a pre-release; the major tag stays where it is');

    // 1.x gets its own major tag; v0 stays on the newest 0.x
    await git(clone, 'checkout', '-q', 'main');
    const third = await commit('third');
    r = await release('v1.0.0');
    expect(output(r)).toBe(`move-major-tag: v1 -> v1.0.0 (${third})`);
    expect(await remoteTags()).toEqual({
      'v0.1.0': first,
      'v0.1.1': fix,
      'v0.2.0': second,
      'v0.3.0-rc.1': fix,
      'v1.0.0': third,
      v0: second,
      v1: third,
    });
  });

  it('refuses a tag that is not vMAJOR.MINOR.PATCH, or that does not exist, in one line', async () => {
    let r = await runProcess('bash', [MOVE_MAJOR, 'v1.2'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe("move-major-tag: 'v1.2' is not a release tag vMAJOR.MINOR.PATCH");
    r = await runProcess('bash', [MOVE_MAJOR, 'v7.0.0'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe('move-major-tag: tag v7.0.0 does not exist in this clone');
  });
});

describe('scripts/release/tag-release.sh and check-job-image.sh in a scratch clone', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  let origin: string;
  let clone: string;
  const pin = (digest: string | null, version = '0.1.0') =>
    fs.writeFileSync(
      path.join(clone, 'release', 'job-image.json'),
      JSON.stringify({ image: 'ghcr.io/kubeline/kubeline', version, digest }, null, 2) + '\n',
    );
  /** What release-prepare.yml does before it: a checkout of the release branch, the pin written. */
  beforeAll(async () => {
    origin = tempDir('kubeline-origin-');
    await git(origin, 'init', '-q', '--bare', '-b', 'main');
    clone = path.join(tempDir('kubeline-clone-'), 'work');
    await git(path.dirname(clone), 'clone', '-q', origin, clone);
    for (const dir of ['release', 'templates']) fs.mkdirSync(path.join(clone, dir));
    fs.writeFileSync(path.join(clone, 'README.md'), 'kubeline\n');
    fs.writeFileSync(
      path.join(clone, 'templates', 'helm-deploy.yml'),
      'job-image: ghcr.io/kubeline/kubeline:0.1.0\n',
    );
    pin(null);
    await git(clone, 'add', '-A');
    await git(clone, 'commit', '-q', '-m', 'before the release');
    await git(clone, 'push', '-q', 'origin', 'HEAD:main');
  });

  it('check-job-image refuses a pin without a digest, or for another version, before asking a registry', async () => {
    let r = await runProcess('bash', [CHECK_JOB_IMAGE, 'v0.1.0'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe(
      'check-job-image: release/job-image.json pins no digest; run release-prepare.yml to release',
    );
    r = await runProcess('bash', [CHECK_JOB_IMAGE, 'v0.2.0'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe('check-job-image: release/job-image.json is for 0.1.0, not v0.2.0');
  });

  it('commits the pin and what was generated from it, tags that commit and pushes both at once', async () => {
    pin(DIGEST);
    fs.writeFileSync(
      path.join(clone, 'templates', 'helm-deploy.yml'),
      `job-image: ghcr.io/kubeline/kubeline:0.1.0@${DIGEST}\n`,
    );
    const r = await runProcess('bash', [TAG_RELEASE, '0.1.0'], {}, clone);
    expect(r.code).toBe(0);
    const head = await git(clone, 'rev-parse', 'HEAD');
    expect(r.stdout.trim()).toBe(`tag-release: pushed main and v0.1.0 (${head.slice(0, 7)})`);
    expect(await git(clone, 'log', '-1', '--format=%s')).toBe(
      `release: v0.1.0 runs the job image by digest ${DIGEST}`,
    );
    expect(await git(clone, 'status', '--porcelain')).toBe(''); // nothing generated was left out
    expect(await git(origin, 'rev-parse', 'main', 'v0.1.0^{commit}')).toBe(`${head}\n${head}`);
    expect(await git(origin, 'cat-file', '-t', 'v0.1.0')).toBe('tag'); // annotated
  });

  it('refuses a tag that exists, and a detached HEAD, in one line and without committing', async () => {
    const before = await git(clone, 'rev-parse', 'HEAD');
    let r = await runProcess('bash', [TAG_RELEASE, '0.1.0'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe('tag-release: tag v0.1.0 exists already');
    await git(clone, 'checkout', '-q', '--detach');
    r = await runProcess('bash', [TAG_RELEASE, '0.1.1'], {}, clone);
    expect(r.code).toBe(1);
    expect(output(r)).toBe('tag-release: not on a branch; check out the branch the release commit goes to');
    expect(await git(clone, 'rev-parse', 'HEAD')).toBe(before);
  });
});

describe('the npm package', () => {
  it('ships the CLI, every action.yml and bundle, the components and the docs, nothing else', async () => {
    const r = await runProcess('npm', ['pack', '--dry-run', '--json'], { npm_config_cache: tempDir('npm-') });
    expect(r.code).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (f) => f.path,
    );
    const actions = fs.readdirSync(path.join(ROOT, 'actions')).filter((a) => !a.startsWith('.'));
    expect(actions.length).toBeGreaterThanOrEqual(8);
    const required = ['bin/kubeline.js', 'bin/dist/index.js', 'README.md', 'LICENSE', 'CHANGELOG.md'];
    for (const a of actions)
      required.push(`actions/${a}/action.yml`, `actions/${a}/dist/index.js`, `templates/${a}.yml`);
    expect(required.filter((f) => !files.includes(f))).toEqual([]);
    const shipped =
      /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|bin\/kubeline\.js|bin\/dist\/.+|actions\/[a-z0-9-]+\/action\.yml|actions\/[a-z0-9-]+\/dist\/.+|templates\/[a-z0-9-]+\.yml)$/;
    expect(files.filter((f) => !shipped.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(src|test|node_modules|\.stack)\/|\.ts$/.test(f))).toEqual([]);
  }, 60_000);
});

type Job = { needs?: string | string[]; permissions?: Record<string, string>; uses?: string; if?: string };

describe('.github/workflows/release.yml', () => {
  const wf = YAML.parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
  };
  const needs = (j: Job) => [j.needs ?? []].flat();

  it('runs on a version tag, and grants each job only what it needs', () => {
    expect(wf.on.push.tags).toEqual(['v*.*.*']);
    expect(wf.permissions).toEqual({});
    const perms = Object.fromEntries(Object.entries(wf.jobs).map(([name, job]) => [name, job.permissions]));
    expect(perms).toEqual({
      'verify-pins': { contents: 'read' },
      verify: { contents: 'read' },
      npm: { contents: 'read', 'id-token': 'write' },
      image: { contents: 'read', packages: 'read' },
      'major-tag': { contents: 'write' },
      'github-release': { contents: 'write' },
    });
  });

  it('publishes nothing before every check passed, and moves the major tag only after both publish', () => {
    expect(wf.jobs['verify-pins']!.uses).toBe('./.github/workflows/verify-pins.yml');
    for (const publish of ['npm', 'image'])
      expect(needs(wf.jobs[publish]!).sort()).toEqual(['verify', 'verify-pins']);
    expect(needs(wf.jobs['major-tag']!).sort()).toEqual(['image', 'npm']);
    expect(needs(wf.jobs['github-release']!)).toEqual(['major-tag']);
  });
});

describe('.github/workflows/release-prepare.yml', () => {
  const wf = YAML.parse(
    fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release-prepare.yml'), 'utf8'),
  ) as {
    on: { workflow_dispatch: { inputs: Record<string, { required: boolean }> } };
    permissions: Record<string, string>;
    jobs: Record<string, Job & { steps: Array<{ run?: string }> }>;
  };

  it('runs by hand for a version: the image is pushed and signed before its digest is pinned and tagged', () => {
    expect(wf.on.workflow_dispatch.inputs.version!.required).toBe(true);
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.image!.permissions).toEqual({ contents: 'read', packages: 'write', 'id-token': 'write' });
    expect(wf.jobs['pin-and-tag']!.permissions).toEqual({ contents: 'read' });
    expect([wf.jobs.image!.needs].flat()).toEqual(['verify-pins']);
    expect([wf.jobs['pin-and-tag']!.needs].flat()).toEqual(['image']);
    const runs = (job: string) => wf.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs('image')).toMatch(/scripts\/release\/image\.sh[\s\S]*cosign sign/);
    expect(runs('pin-and-tag')).toMatch(/pin-job-image\.sh[\s\S]*tag-release\.sh/);
  });
});
