import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, UserError, clearSecrets, mask, readInputs } from '@kubeline/runtime';
import { parseReference } from '@kubeline/image';
import { action } from '../../actions/build-image/src/action.generated.js';
import { inputSpec } from '../../actions/build-image/src/inputs.js';
import {
  createdAt,
  defaultTags,
  ociLabels,
  sanitizeTag,
  sourceUrl,
} from '../../actions/build-image/src/default-tags.js';
import {
  contextFromEnv,
  readGitContext,
  refFromDecorations,
} from '../../actions/build-image/src/git-context.js';
import { resolveTargets, repositoriesOf } from '../../actions/build-image/src/targets.js';
import { choosePushMode, movedTags, refuseMove } from '../../actions/build-image/src/tag-policy.js';
import {
  buildxArgs,
  cacheExportErrors,
  isCacheExportFailure,
  secretEnv,
  tolerantCacheTo,
} from '../../actions/build-image/src/buildx-args.js';
import { gatedFlags } from '../../actions/build-image/src/buildx-features.js';
import {
  buildahCacheUse,
  buildxCacheUse,
  describeCacheUse,
} from '../../actions/build-image/src/cache-use.js';
import { buildahCacheRepo } from '../../actions/build-image/src/buildah.js';
import { registryCaFile } from '@kubeline/image';
import { locateSources } from '../../actions/build-image/src/sources.js';
import { checkPlatforms } from '../../actions/build-image/src/registry-check.js';
import type { BuildRequest } from '../../actions/build-image/src/builder.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('default tags from the git context', () => {
  it('immutable: sha-<7> and the version of a semver tag, never the branch', () => {
    expect(defaultTags({ sha: SHA, ref: { kind: 'branch', name: 'main' } }, 'immutable')).toEqual([
      'sha-0123456',
    ]);
    expect(defaultTags({ sha: SHA, ref: { kind: 'tag', name: 'v1.2.3' } }, 'immutable')).toEqual([
      '1.2.3',
      'sha-0123456',
    ]);
    expect(defaultTags({ sha: SHA, ref: { kind: 'tag', name: 'v2.0.0-rc.1+build.7' } }, 'immutable')).toEqual(
      ['2.0.0-rc.1_build.7', 'sha-0123456'],
    );
  });

  it('mutable adds the branch (sanitized) or pr-<n>', () => {
    expect(defaultTags({ sha: SHA, ref: { kind: 'branch', name: 'feature/Login' } }, 'mutable')).toEqual([
      'sha-0123456',
      'feature-Login',
    ]);
    expect(defaultTags({ sha: SHA, ref: { kind: 'pull', name: '42' } }, 'mutable')).toEqual([
      'sha-0123456',
      'pr-42',
    ]);
  });

  it('a non-semver git tag is kept, sanitized; no context gives no tag', () => {
    expect(defaultTags({ ref: { kind: 'tag', name: 'release/2024 q1' } }, 'immutable')).toEqual([
      'release-2024-q1',
    ]);
    expect(defaultTags({}, 'mutable')).toEqual([]);
    expect(sanitizeTag('..-x')).toBe('x');
    expect(sanitizeTag('a'.repeat(200))).toHaveLength(128);
  });

  it('a branch named latest never becomes a tag', () => {
    expect(defaultTags({ ref: { kind: 'branch', name: 'latest' } }, 'mutable')).toEqual([]);
  });
});

describe('OCI labels', () => {
  it('source, revision, created and version', () => {
    const created = new Date('2024-05-01T10:00:00Z');
    expect(ociLabels({ sha: SHA, source: 'https://github.com/acme/web' }, '1.2.3', created)).toEqual({
      'org.opencontainers.image.created': '2024-05-01T10:00:00.000Z',
      'org.opencontainers.image.source': 'https://github.com/acme/web',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': '1.2.3',
    });
  });

  it('created: SOURCE_DATE_EPOCH, else the commit time, else now', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ctx = { time: '2024-05-01T12:00:00+02:00' };
    expect(createdAt(ctx, { SOURCE_DATE_EPOCH: '1700000000' }, now).toISOString()).toBe(
      '2023-11-14T22:13:20.000Z',
    );
    expect(createdAt(ctx, {}, now).toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(createdAt({}, { SOURCE_DATE_EPOCH: 'soon' }, now)).toBe(now);
  });

  it.each([
    ['git@github.com:acme/web.git', 'https://github.com/acme/web'],
    ['https://x-access-token:ghs_SECRET@github.com/acme/web.git', 'https://github.com/acme/web'],
    ['ssh://git@gitlab.example.com:2222/group/sub/app.git', 'https://gitlab.example.com/group/sub/app'],
    ['https://gitlab.example.com:8443/g/app', 'https://gitlab.example.com:8443/g/app'],
    ['/srv/git/app.git', undefined],
  ])('source of remote %s', (remote, want) => {
    expect(sourceUrl(remote)).toBe(want);
  });
});

describe('git context', () => {
  it('GitHub: ref kinds and the repository URL', () => {
    const gh = { GITHUB_SHA: SHA, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/web' };
    expect(contextFromEnv({ ...gh, GITHUB_REF: 'refs/heads/feat/x' })).toEqual({
      sha: SHA,
      ref: { kind: 'branch', name: 'feat/x' },
      source: 'https://github.com/acme/web',
    });
    expect(contextFromEnv({ ...gh, GITHUB_REF: 'refs/tags/v1.0.0' })?.ref).toEqual({
      kind: 'tag',
      name: 'v1.0.0',
    });
    expect(contextFromEnv({ ...gh, GITHUB_REF: 'refs/pull/7/merge' })?.ref).toEqual({
      kind: 'pull',
      name: '7',
    });
  });

  it('GitLab: tag, merge request, branch', () => {
    const gl = { CI_COMMIT_SHA: SHA, CI_PROJECT_URL: 'https://gitlab.com/acme/web' };
    expect(contextFromEnv({ ...gl, CI_COMMIT_TAG: 'v3.1.0', CI_COMMIT_BRANCH: 'main' })?.ref).toEqual({
      kind: 'tag',
      name: 'v3.1.0',
    });
    expect(contextFromEnv({ ...gl, CI_MERGE_REQUEST_IID: '9' })?.ref).toEqual({ kind: 'pull', name: '9' });
    expect(contextFromEnv({ ...gl, CI_COMMIT_BRANCH: 'main' })).toEqual({
      sha: SHA,
      ref: { kind: 'branch', name: 'main' },
      source: 'https://gitlab.com/acme/web',
    });
    expect(contextFromEnv({})).toBeUndefined();
  });

  it('reads the branch and tag from the decorations of HEAD, a semver tag first', () => {
    expect(refFromDecorations('HEAD -> main, origin/main')).toEqual({ kind: 'branch', name: 'main' });
    expect(refFromDecorations('HEAD -> main, tag: nightly, tag: v1.4.0')).toEqual({
      kind: 'tag',
      name: 'v1.4.0',
    });
    expect(refFromDecorations('HEAD, tag: nightly, main')).toEqual({ kind: 'tag', name: 'nightly' });
    expect(refFromDecorations('HEAD')).toBeUndefined();
  });

  it('reads a real checkout: commit, time, tag, remote without credentials', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        env: {
          ...process.env,
          GIT_COMMITTER_DATE: '2024-03-04T05:06:07Z',
          GIT_AUTHOR_DATE: '2024-03-04T05:06:07Z',
        },
      })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'one');
    git('remote', 'add', 'origin', 'https://user:tok3n@git.example.com/acme/web.git');
    const sha = git('rev-parse', 'HEAD');
    expect(await readGitContext(dir, {})).toEqual({
      sha,
      time: '2024-03-04T05:06:07+00:00',
      ref: { kind: 'branch', name: 'main' },
      source: 'https://git.example.com/acme/web',
    });
    git('tag', 'v0.9.1');
    expect((await readGitContext(dir, {})).ref).toEqual({ kind: 'tag', name: 'v0.9.1' });
    expect(await readGitContext(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-nogit-')), {})).toEqual({});
  });
});

describe('push targets', () => {
  const none = () => [];

  it('full references and bare tags added to the repository', () => {
    const targets = resolveTargets({
      tags: ['v1', 'ghcr.io/acme/web:v1', '127.0.0.1:5000/acme/web:v1'],
      repository: '127.0.0.1:5000/acme/web',
      policy: 'immutable',
      defaults: none,
    });
    expect(targets.map((t) => `${t.registry}/${t.repository}:${t.tag}`)).toEqual([
      '127.0.0.1:5000/acme/web:v1',
      'ghcr.io/acme/web:v1',
    ]);
    expect(repositoriesOf(targets)).toEqual(['127.0.0.1:5000/acme/web', 'ghcr.io/acme/web']);
  });

  it('empty tags: the git defaults for the repository', () => {
    const targets = resolveTargets({
      tags: [],
      repository: 'ghcr.io/acme/web',
      policy: 'immutable',
      defaults: () => ['sha-0123456'],
    });
    expect(targets).toEqual([{ ...parseReference('ghcr.io/acme/web'), tag: 'sha-0123456' }]);
  });

  it.each([
    [
      ['latest'],
      'ghcr.io/a/b',
      'immutable',
      /input "tags": "latest" is not valid; tag-policy immutable refuses `latest`/,
    ],
    [['ghcr.io/a/b:latest'], '', 'immutable', /refuses `latest`/],
    [['Bad:Tag'], '', 'immutable', /input "tags": "Bad:Tag" is not valid; allowed: \[registry\/\]repository/],
    [['ghcr.io/a/b'], '', 'immutable', /input "tags": "ghcr.io\/a\/b" is not valid; it needs a tag/],
    [[`ghcr.io/a/b:v1@${D1}`], '', 'immutable', /a tag cannot carry a digest/],
    [['v1'], 'ghcr.io/a/b:v2', 'immutable', /input "repository": .* without a tag or digest/],
    [[], '', 'immutable', /input "tags" is empty: give tags, or a repository/],
  ] as const)('refuses %j (repository %j, %s)', (tags, repository, policy, message) => {
    expect(() => resolveTargets({ tags: [...tags], repository, policy, defaults: none })).toThrow(message);
  });

  it('latest is allowed under the mutable policy; no git context and no tags is an error', () => {
    expect(
      resolveTargets({ tags: ['latest'], repository: 'ghcr.io/a/b', policy: 'mutable', defaults: none })[0]
        ?.tag,
    ).toBe('latest');
    expect(() =>
      resolveTargets({ tags: [], repository: 'ghcr.io/a/b', policy: 'mutable', defaults: none }),
    ).toThrow(UserError);
  });
});

describe('tag policy', () => {
  const ref = { ...parseReference('127.0.0.1:5000/a/b'), tag: 'v1' };

  it('immutable tags are pointed only after the push by digest (and a second look); mutable ones by the push', () => {
    const existing = [{ ref, digest: D1 }];
    expect(choosePushMode(false, 'immutable', existing, true)).toBe('none');
    expect(choosePushMode(true, 'immutable', [], true)).toBe('digest');
    expect(choosePushMode(true, 'immutable', existing, true)).toBe('digest');
    expect(choosePushMode(true, 'mutable', existing, true)).toBe('tags');
  });

  it('the docker driver (no push by digest) pushes new tags with the image, and refuses to risk an existing one', () => {
    expect(choosePushMode(true, 'immutable', [], false)).toBe('tags');
    expect(choosePushMode(true, 'mutable', [{ ref, digest: D1 }], false)).toBe('tags');
    expect(() => choosePushMode(true, 'immutable', [{ ref, digest: D1 }], false)).toThrow(
      /^tag-policy immutable: 127\.0\.0\.1:5000\/a\/b:v1 exists already, and the docker driver cannot push by digest/,
    );
  });

  it('a moved tag is refused in one line saying what was left behind', () => {
    const moved = movedTags([{ ref, digest: D1 }], D2);
    expect(moved).toHaveLength(1);
    expect(movedTags([{ ref, digest: D2 }], D2)).toEqual([]);
    const err = refuseMove(moved, D2, 'untagged');
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      `tag-policy immutable: 127.0.0.1:5000/a/b:v1 already points to ${D1}, not this build's ${D2}; no tag was moved and the new image was pushed untagged as 127.0.0.1:5000/a/b@${D2}`,
    );
    expect(refuseMove(moved, D2, 'nothing').message).toMatch(/no tag was moved and nothing was pushed$/);
    expect(refuseMove(moved, D2, 'untagged', 'during this build').message).toMatch(
      new RegExp(
        `^tag-policy immutable: 127.0.0.1:5000/a/b:v1 was pointed during this build to ${D1}, not this build's ${D2}; no tag was moved`,
      ),
    );
  });
});

function request(over: Partial<BuildRequest> = {}): BuildRequest {
  return {
    context: '/src',
    dockerfile: '/src/Dockerfile',
    targets: [{ ...parseReference('127.0.0.1:5000/a/b'), tag: 'v1' }],
    labels: new Map([['org.opencontainers.image.revision', SHA]]),
    buildArgs: new Map([['GREETING', 'hello, world']]),
    secrets: new Map([['token', 's3cr3t-value']]),
    platforms: ['linux/amd64', 'linux/arm64'],
    cacheFrom: ['type=registry,ref=127.0.0.1:5000/a/b:cache'],
    cacheTo: ['type=registry,ref=127.0.0.1:5000/a/b:cache,mode=max'],
    target: 'runtime',
    provenance: 'false',
    sbom: 'false',
    pull: true,
    noCache: false,
    push: 'tags',
    workDir: '/tmp/w',
    timeoutMs: 60_000,
    ...over,
  };
}

describe('buildx argv', () => {
  const opts = {
    builder: 'kb',
    metadataFile: '/tmp/w/m.json',
    iidFile: '/tmp/w/iid',
    gatedFlags: ['--provenance=false'],
  };

  it('passes every input; secrets by environment variable name only', () => {
    const req = request();
    const args = buildxArgs(req, { ...opts, cacheTo: req.cacheTo });
    expect(args).toEqual([
      'build', '--builder', 'kb', '--progress', 'plain', '--file', '/src/Dockerfile',
      '--metadata-file', '/tmp/w/m.json', '--iidfile', '/tmp/w/iid',
      '--tag', '127.0.0.1:5000/a/b:v1',
      '--label', `org.opencontainers.image.revision=${SHA}`,
      '--build-arg', 'GREETING=hello, world',
      '--secret', 'id=token,env=KUBELINE_BUILD_SECRET_0',
      '--platform', 'linux/amd64,linux/arm64',
      '--cache-from', 'type=registry,ref=127.0.0.1:5000/a/b:cache',
      '--cache-to', 'type=registry,ref=127.0.0.1:5000/a/b:cache,mode=max,ignore-error=true',
      '--target', 'runtime', '--provenance=false', '--pull',
      '--output', 'type=image,push=true', '/src',
    ]); // prettier-ignore
    expect(args.join(' ')).not.toContain('s3cr3t');
    expect(secretEnv(req)).toEqual({ KUBELINE_BUILD_SECRET_0: 's3cr3t-value' });
  });

  it('push by digest names the repositories and no tag; no push exports only', () => {
    const req = request({
      push: 'digest',
      targets: [
        { ...parseReference('127.0.0.1:5000/a/b'), tag: 'v1' },
        { ...parseReference('127.0.0.1:5000/a/b'), tag: 'sha-1' },
        { ...parseReference('127.0.0.1:5443/c'), tag: 'v1' },
      ],
    });
    const args = buildxArgs(req, { ...opts, cacheTo: [] });
    expect(args).not.toContain('--tag');
    expect(args.at(-2)).toBe(
      'type=image,"name=127.0.0.1:5000/a/b,127.0.0.1:5443/c",push-by-digest=true,name-canonical=true,push=true',
    );
    expect(buildxArgs(request({ push: 'none' }), { ...opts, cacheTo: [] }).at(-2)).toBe(
      'type=image,push=false',
    );
  });

  it('cache exports tolerate failure; inline cache and explicit settings are left alone', () => {
    expect(tolerantCacheTo('127.0.0.1:5000/a/b:cache')).toBe(
      'type=registry,ref=127.0.0.1:5000/a/b:cache,ignore-error=true',
    );
    expect(tolerantCacheTo('type=inline')).toBe('type=inline');
    expect(tolerantCacheTo('type=local,dest=/c,ignore-error=false')).toBe(
      'type=local,dest=/c,ignore-error=false',
    );
  });

  it('finds cache export errors in the progress log, and builds that failed on their cache', () => {
    const progress = [
      '#9 exporting to image',
      '#9 DONE 0.1s',
      '#10 exporting cache to registry',
      '#10 preparing build cache for export',
      '#10 ERROR: failed to push 127.0.0.1:9/c:cache: connection refused',
    ].join('\n');
    expect(cacheExportErrors(progress)).toEqual(['failed to push 127.0.0.1:9/c:cache: connection refused']);
    expect(cacheExportErrors('#4 ERROR: process "/bin/sh -c false" did not complete')).toEqual([]);
    expect(
      isCacheExportFailure('ERROR: failed to build: Cache export is not supported for the docker driver.'),
    ).toBe(true);
    expect(
      isCacheExportFailure('ERROR: failed to solve: process "/bin/false" did not complete successfully'),
    ).toBe(false);
  });

  it('gates attestation flags on the buildx version and says what was ignored', () => {
    expect(gatedFlags('0.37.1', { provenance: 'mode=max', sbom: 'true' })).toEqual({
      flags: ['--provenance=mode=max', '--sbom=true'],
      ignored: [],
    });
    expect(gatedFlags('0.9.1', { provenance: 'false', sbom: 'true' })).toEqual({
      flags: [],
      ignored: ['sbom: true needs buildx 0.10.0 or newer (this is 0.9.1)'],
    });
    expect(gatedFlags('0.10.0', { provenance: 'true', sbom: 'false' }).flags).toEqual([
      '--provenance=true',
      '--sbom=false',
    ]);
  });
});

describe('buildah cache and both progress logs', () => {
  it('maps buildx cache specs to a repository', () => {
    expect(buildahCacheRepo('type=registry,ref=127.0.0.1:5000/a/cache')).toBe('127.0.0.1:5000/a/cache');
    expect(buildahCacheRepo('127.0.0.1:5000/a/cache')).toBe('127.0.0.1:5000/a/cache');
    expect(buildahCacheRepo('type=gha')).toBeUndefined();
  });

  it('counts cached steps', () => {
    const buildx = [
      '#1 [internal] load build definition from Dockerfile',
      '#4 [1/3] COPY busybox /bin/busybox',
      '#4 CACHED',
      '#5 [build 2/3] COPY marker /marker',
      '#6 [3/3] RUN ["/bin/busybox", "true"]',
      '#6 DONE 0.2s',
    ].join('\n');
    expect(buildxCacheUse(buildx)).toEqual({ steps: 3, cached: 1 });
    const buildah = [
      'STEP 1/3: FROM scratch',
      'STEP 2/3: COPY busybox /bin/busybox',
      '--> Using cache 3f1',
      'STEP 3/3: LABEL a=b',
      '--> 9c2',
    ].join('\n');
    expect(buildahCacheUse(buildah)).toEqual({ steps: 2, cached: 1 });
    expect(describeCacheUse({ steps: 2, cached: 1 })).toBe('1/2 steps cached');
  });
});

describe('inputs', () => {
  afterEach(() => clearSecrets());

  it('labels, build args and secrets are key=value lines; secret values are masked', () => {
    const values = readInputs(action, inputSpec, {
      INPUT_LABELS: 'a=1\n# comment\nb=x=y, z',
      'INPUT_BUILD-ARGS': 'HTTP_PROXY=http://p:3128',
      INPUT_SECRETS: 'token=hunter2-secret-value\nnpmrc=//r/:_auth=abc,def',
    });
    expect([...values.labels]).toEqual([
      ['a', '1'],
      ['b', 'x=y, z'],
    ]);
    expect(values.secrets.get('npmrc')).toBe('//r/:_auth=abc,def');
    expect(mask('got hunter2-secret-value')).toBe('got ***');
    expect(values.push).toBe(true);
    expect(values['tag-policy']).toBe('immutable');
  });

  it('a bad secret line is reported by its id, never its value', () => {
    let err: unknown;
    try {
      readInputs(action, inputSpec, { INPUT_SECRETS: 'bad id=hunter3-secret-value' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'input "secrets": "bad id=***" is not valid; each line must be id=value',
    );
  });

  it.each([
    ['INPUT_PROVENANCE', 'maybe', /allowed: false, true, mode=min, mode=max/],
    ['INPUT_BUILDER', 'kaniko', /allowed: buildx, buildah/],
    ['INPUT_BUILDKIT-HOST', '/run/buildkit.sock', /must be a buildkitd address/],
    ['INPUT_TAG-POLICY', 'sometimes', /allowed: immutable, mutable/],
  ])('%s=%s is refused', (key, value, message) => {
    expect(() => readInputs(action, inputSpec, { [key]: value })).toThrow(message);
  });
});

describe('pushed platforms', () => {
  it('an index missing a requested platform is an error; arm64/v8 is arm64', () => {
    const pushed = [{ platform: 'linux/amd64' }, { platform: 'linux/arm64' }];
    expect(() => checkPlatforms(['linux/amd64', 'linux/arm64/v8'], pushed)).not.toThrow();
    expect(() => checkPlatforms(['linux/amd64', 'linux/s390x'], pushed)).toThrow(
      'the pushed index lacks platform linux/s390x (it has linux/amd64, linux/arm64)',
    );
    expect(() => checkPlatforms(['linux/amd64'], [])).not.toThrow();
  });
});

describe('sources', () => {
  it('names the missing context or Dockerfile', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-ctx-'));
    expect(() => locateSources(path.join(dir, 'nope'), '')).toThrow(
      `build context ${path.join(dir, 'nope')} does not exist`,
    );
    expect(() => locateSources(dir, '')).toThrow(
      `Dockerfile ${path.join(dir, 'Dockerfile')} does not exist (input "file")`,
    );
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    expect(locateSources(dir, '')).toEqual({ context: dir, dockerfile: path.join(dir, 'Dockerfile') });
  });

  it('takes the registry CA as PEM text or as the path of a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-ca-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const written = registryCaFile(`\n${pem}\n`, dir)!;
    expect(fs.readFileSync(written, 'utf8')).toBe(`${pem}\n`);
    expect(registryCaFile(written, '/unused')).toBe(written);
    expect(registryCaFile('  ', dir)).toBeUndefined();
    expect(() => registryCaFile('/no/ca.pem', dir)).toThrow(
      'input "registry-ca": "/no/ca.pem" is not valid; give a PEM certificate or the path of an existing one',
    );
  });
});
