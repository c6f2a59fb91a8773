// Pull requests (GitHub) and merge requests (GitLab) against local fakes of exactly the endpoints
// used: found and updated rather than duplicated, labels and reviewers added, auto-merge enabled or
// reported unavailable, 5xx retried, a hung server bounded, a refusal worded in one line.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { isExpectedFailure, UserError } from '@kubeline/runtime';
import { ForgeApiError, type ChangeRequest } from '../src/pull-request.js';
import { gitHubPullRequests } from '../src/github-pr.js';
import { gitLabMergeRequests } from '../src/gitlab-mr.js';
import { startGitHubFake, type GitHubFake } from '../../../test/fakes/github-api.js';
import { startGitLabFake, type GitLabFake } from '../../../test/fakes/gitlab-api.js';

const TOKEN = 'ghp_fakeTokenNeverPrinted0123456789';
const GL_TOKEN = 'glpat-fakeTokenNeverPrinted0123';

const request = (over: Partial<ChangeRequest> = {}): ChangeRequest => ({
  base: 'main',
  head: 'promote/prod',
  title: 'Promote web to sha256:abc',
  body: 'first body',
  labels: [],
  reviewers: [],
  autoMerge: false,
  ...over,
});

/** The error a promise rejects with, checked to be one line without the token. */
async function failure(p: Promise<unknown>, token: string): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected a failure');
  expect(isExpectedFailure(err)).toBe(true);
  expect(err.message).not.toContain('\n');
  expect(err.message).not.toContain(token);
  return err;
}

const saved = { ...process.env };
beforeAll(() => {
  // Backoff in milliseconds, not seconds: the retries are what is tested, not the waiting.
  process.env.KUBELINE_RETRY_BASE_MS = '5';
  process.env.KUBELINE_RETRY_ATTEMPTS = '4';
});
afterAll(() => {
  process.env = saved;
});

describe('GitHub pull requests', () => {
  let fake: GitHubFake;
  beforeAll(async () => {
    fake = await startGitHubFake({ token: TOKEN, collaborators: ['alice', 'bob'] });
  });
  afterAll(() => fake.close());
  afterEach(() => fake.reset());

  const prs = (o: { timeoutMs?: number; token?: string } = {}) =>
    gitHubPullRequests({
      token: o.token ?? TOKEN,
      repository: 'acme/config',
      apiUrl: fake.url,
      timeoutMs: o.timeoutMs ?? 5000,
    });

  test('opens once, then updates the same pull request; the token only ever in the header', async () => {
    const first = await prs().openOrUpdate(request({ draft: true }));
    expect(first).toEqual({
      url: `${fake.webUrl}/acme/config/pull/1`,
      number: 1,
      created: true,
      autoMerge: 'off',
    });
    const second = await prs().openOrUpdate(request({ title: 'Promote web to sha256:def', body: 'second' }));
    expect(second).toMatchObject({ number: 1, created: false });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]).toMatchObject({
      title: 'Promote web to sha256:def',
      body: 'second',
      draft: true,
      head: 'promote/prod',
      base: 'main',
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/config/pulls?state=open&head=acme%3Apromote%2Fprod&base=main&per_page=100',
      'POST /repos/acme/config/pulls',
      'GET /repos/acme/config/pulls?state=open&head=acme%3Apromote%2Fprod&base=main&per_page=100',
      'PATCH /repos/acme/config/pulls/1',
    ]);
    for (const r of fake.requests) {
      expect(r.auth).toBe(`token ${TOKEN}`);
      expect(r.path).not.toContain(TOKEN);
    }
  });

  test('a pull request from another branch, or into another base, is not taken for ours', async () => {
    await prs().openOrUpdate(request({ head: 'promote/staging' }));
    await prs().openOrUpdate(request({ base: 'release' }));
    const ours = await prs().openOrUpdate(request());
    expect(ours).toMatchObject({ number: 3, created: true });
    expect(fake.pulls.map((p) => [p.head, p.base])).toEqual([
      ['promote/staging', 'main'],
      ['promote/prod', 'release'],
      ['promote/prod', 'main'],
    ]);
  });

  test('a pull request opened by a concurrent run after our look is updated, not duplicated', async () => {
    await prs().openOrUpdate(request());
    fake.requests.length = 0;
    // The other run's pull request is not there yet when we look, but is when we open ours.
    fake.inject({ body: [], on: /^GET / });
    const r = await prs().openOrUpdate(request({ body: 'ours' }));
    expect(r).toMatchObject({ number: 1, created: false });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]!.body).toBe('ours');
    expect(fake.requests.map((q) => q.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
  });

  test("labels are added to the user's, reviewers and org teams requested", async () => {
    await prs().openOrUpdate(request());
    fake.pulls[0]!.labels.push('hold');
    const r = await prs().openOrUpdate(
      request({ labels: ['promotion', 'env:prod', 'promotion'], reviewers: ['@alice', 'acme/platform'] }),
    );
    expect(r.created).toBe(false);
    expect(fake.pulls[0]).toMatchObject({
      labels: ['hold', 'promotion', 'env:prod'],
      reviewers: ['alice'],
      teams: ['platform'],
    });
    const asked = fake.requests.find((q) => q.path.endsWith('/requested_reviewers'));
    expect(asked?.body).toEqual({ reviewers: ['alice'], team_reviewers: ['platform'] });
  });

  test('a team of another organisation, or a reviewer GitHub refuses, is a one-line error', async () => {
    const other = await failure(prs().openOrUpdate(request({ reviewers: ['other/platform'] })), TOKEN);
    expect(other).toBeInstanceOf(UserError);
    expect(other.message).toContain('"other/platform"');
    expect(fake.requests).toHaveLength(0);

    const stranger = await failure(prs().openOrUpdate(request({ reviewers: ['mallory'] })), TOKEN);
    expect(stranger.message).toMatch(
      /^cannot request reviews from mallory on pull request #1 in GitHub repository acme\/config: HTTP 422: Validation Failed: Reviews may only be requested from collaborators/,
    );
  });

  test('auto-merge is enabled with the pull request node id and the merge method', async () => {
    const r = await prs().openOrUpdate(request({ autoMerge: 'squash' }));
    expect(r.autoMerge).toBe('enabled');
    expect(fake.pulls[0]!.autoMerge).toBe('SQUASH');
    const mutation = fake.requests.find((q) => q.path === '/graphql');
    expect(mutation?.auth).toBe(`token ${TOKEN}`);
    expect(mutation?.body).toMatchObject({
      variables: { pullRequestId: fake.pulls[0]!.node_id, mergeMethod: 'SQUASH' },
    });
    expect(String(mutation?.body.query)).toContain('enablePullRequestAutoMerge');
  });

  test('auto-merge not allowed in the repository is unavailable, with the reason, not a failure', async () => {
    fake.autoMergeAllowed = false;
    const r = await prs().openOrUpdate(request({ autoMerge: 'merge' }));
    expect(r).toMatchObject({
      number: 1,
      created: true,
      autoMerge: 'unavailable',
      autoMergeReason: 'Pull request Auto merge is not allowed for this repository',
    });
    expect(fake.pulls[0]!.autoMerge).toBeUndefined();
  });

  test('503 is retried with backoff; one that persists fails after the bounded attempts', async () => {
    fake.inject({ status: 503, times: 2 });
    const r = await prs().openOrUpdate(request());
    expect(r).toMatchObject({ number: 1, created: true });
    expect(fake.requests.map((q) => q.method)).toEqual(['GET', 'GET', 'GET', 'POST']);

    fake.requests.length = 0;
    fake.inject({ status: 503, times: 10 });
    const err = await failure(prs().openOrUpdate(request()), TOKEN);
    expect(err.message).toBe(
      'cannot list the open pull requests from promote/prod into main in GitHub repository acme/config: HTTP 503: Service Unavailable (4 attempts)',
    );
    expect(fake.requests).toHaveLength(4);
  });

  test('a hung server fails the call at the bound, without retrying it', async () => {
    fake.inject({ hang: true, on: /^POST \/repos\/acme\/config\/pulls$/ });
    const started = Date.now();
    const err = await failure(prs({ timeoutMs: 400 }).openOrUpdate(request()), TOKEN);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(ForgeApiError);
    expect(err.message).toBe(
      'cannot open a pull request from promote/prod into main in GitHub repository acme/config: no answer within 400ms',
    );
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  test('403 is one line: status, operation, the permission the token needs; never the token', async () => {
    fake.inject({ status: 403, on: /^POST \/repos\/acme\/config\/pulls$/ });
    const err = await failure(prs().openOrUpdate(request()), TOKEN);
    expect(err.message).toBe(
      'cannot open a pull request from promote/prod into main in GitHub repository acme/config: HTTP 403: Resource not accessible by integration (the token needs `pull-requests: write` on the repository)',
    );
    expect((err as ForgeApiError).status).toBe(403);
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1);

    const bad = await failure(
      prs({ token: 'ghp_someOtherToken12345' }).openOrUpdate(request()),
      'ghp_someOtherToken12345',
    );
    expect(bad.message).toMatch(
      /HTTP 401: Bad credentials \(the token is not valid: expired, revoked, or not a GitHub token\)$/,
    );
  });

  test('an API nobody listens on is retried, then one line naming the attempts', async () => {
    const gone = await startGitHubFake();
    await gone.close();
    const err = await failure(
      gitHubPullRequests({
        token: TOKEN,
        repository: 'acme/config',
        apiUrl: gone.url,
        timeoutMs: 5000,
      }).openOrUpdate(request()),
      TOKEN,
    );
    expect(err.message).toMatch(
      /^cannot list the open pull requests from promote\/prod into main in GitHub repository acme\/config: .*ECONNREFUSED.* \(4 attempts\)$/,
    );
  });

  test('the repository and the API URL are checked before any request', () => {
    for (const repository of ['acme', 'acme/config/extra', '-acme/config', 'acme/..', 'acme/con fig', ''])
      expect(() =>
        gitHubPullRequests({ token: TOKEN, repository, apiUrl: fake.url, timeoutMs: 1000 }),
      ).toThrow(UserError);
    expect(() =>
      gitHubPullRequests({
        token: TOKEN,
        repository: 'acme/config',
        apiUrl: 'https://u:p@api.example',
        timeoutMs: 1,
      }),
    ).toThrow('GitHub API URL must carry no credentials, query or fragment');
  });

  test('without apiUrl, GITHUB_API_URL is where requests go', async () => {
    process.env.GITHUB_API_URL = fake.url;
    try {
      const r = await gitHubPullRequests({
        token: TOKEN,
        repository: 'acme/config',
        timeoutMs: 5000,
      }).openOrUpdate(request());
      expect(r.created).toBe(true);
    } finally {
      delete process.env.GITHUB_API_URL;
    }
  });
});

describe('GitLab merge requests', () => {
  let fake: GitLabFake;
  beforeAll(async () => {
    fake = await startGitLabFake({ token: GL_TOKEN });
  });
  afterAll(() => fake.close());
  afterEach(() => fake.reset());

  const mrs = (o: { timeoutMs?: number; project?: string; tokenKind?: 'private' | 'job' } = {}) =>
    gitLabMergeRequests({
      token: GL_TOKEN,
      project: o.project ?? 'group/sub/config',
      apiUrl: fake.apiUrl,
      timeoutMs: o.timeoutMs ?? 5000,
      ...(o.tokenKind ? { tokenKind: o.tokenKind } : {}),
    });

  test('opens once, then updates the same merge request; the project path URL-encoded', async () => {
    const first = await mrs().openOrUpdate(request({ draft: true }));
    expect(first).toEqual({
      url: 'https://gitlab.example/group/sub/config/-/merge_requests/1',
      number: 1,
      created: true,
      autoMerge: 'off',
    });
    const second = await mrs({ project: '42' }).openOrUpdate(
      request({ title: 'Promote again', body: 'second' }),
    );
    expect(second).toMatchObject({ number: 1, created: false });
    expect(fake.mergeRequests).toHaveLength(1);
    // Still a draft: on GitLab the title is what makes one.
    expect(fake.mergeRequests[0]).toMatchObject({ title: 'Draft: Promote again', description: 'second' });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v4/projects/group%2Fsub%2Fconfig/merge_requests?state=opened&source_branch=promote%2Fprod&target_branch=main',
      'POST /api/v4/projects/group%2Fsub%2Fconfig/merge_requests',
      'GET /api/v4/projects/42/merge_requests?state=opened&source_branch=promote%2Fprod&target_branch=main',
      'PUT /api/v4/projects/42/merge_requests/1',
    ]);
    for (const r of fake.requests) {
      expect(r.auth).toBe(`PRIVATE-TOKEN ${GL_TOKEN}`);
      expect(r.headers.authorization).toBeUndefined();
      expect(r.path).not.toContain(GL_TOKEN);
    }
  });

  test('a merge request opened by a concurrent run after our look is updated, not duplicated', async () => {
    await mrs().openOrUpdate(request());
    fake.requests.length = 0;
    fake.inject({ body: [], on: /^GET / });
    const r = await mrs().openOrUpdate(request({ body: 'ours' }));
    expect(r).toMatchObject({ number: 1, created: false });
    expect(fake.mergeRequests).toHaveLength(1);
    expect(fake.mergeRequests[0]!.description).toBe('ours');
    expect(fake.requests.map((q) => q.method)).toEqual(['GET', 'POST', 'GET', 'PUT']);
  });

  test("labels are added to the user's; reviewers resolved to ids and added to those there", async () => {
    await mrs().openOrUpdate(request({ labels: ['promotion'], reviewers: ['bob'] }));
    expect(fake.mergeRequests[0]).toMatchObject({ labels: ['promotion'], reviewerIds: [8] });
    fake.mergeRequests[0]!.labels.push('hold');
    const r = await mrs().openOrUpdate(request({ labels: ['env:prod'], reviewers: ['@alice'] }));
    expect(r.created).toBe(false);
    expect(fake.mergeRequests[0]).toMatchObject({
      labels: ['promotion', 'hold', 'env:prod'],
      reviewerIds: [8, 7],
    });
    expect(fake.requests.filter((q) => q.path.startsWith('/api/v4/users')).map((q) => q.path)).toEqual([
      '/api/v4/users?username=bob',
      '/api/v4/users?username=alice',
    ]);
    expect(fake.requests.at(-1)?.body).toMatchObject({ add_labels: 'env:prod', reviewer_ids: [8, 7] });
  });

  test('an unknown reviewer is a clear error before anything is opened', async () => {
    const err = await failure(mrs().openOrUpdate(request({ reviewers: ['alice', 'mallory'] })), GL_TOKEN);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      'reviewer "mallory": no GitLab user has this username (reviewers are usernames, without the @)',
    );
    expect(fake.mergeRequests).toHaveLength(0);
  });

  test('auto-merge: merge when the pipeline succeeds, for the commit seen, squashed when asked', async () => {
    const r = await mrs().openOrUpdate(request({ autoMerge: 'squash' }));
    expect(r).toMatchObject({ autoMerge: 'enabled', created: true });
    expect(fake.mergeRequests[0]).toMatchObject({ autoMerge: true, squash: true, state: 'opened' });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: '/api/v4/projects/group%2Fsub%2Fconfig/merge_requests/1/merge',
      body: {
        merge_when_pipeline_succeeds: true,
        auto_merge: true,
        squash: true,
        sha: fake.mergeRequests[0]!.sha,
      },
    });
  });

  test('auto-merge waits out GitLab still checking mergeability after a push', async () => {
    const checking = await startGitLabFake({ token: GL_TOKEN, checkingReads: 2 });
    try {
      const r = await gitLabMergeRequests({
        token: GL_TOKEN,
        project: 'group/sub/config',
        apiUrl: checking.apiUrl,
        timeoutMs: 5000,
      }).openOrUpdate(request({ autoMerge: 'merge' }));
      expect(r.autoMerge).toBe('enabled');
      expect(checking.requests.map((q) => q.method)).toEqual(['GET', 'POST', 'GET', 'GET', 'PUT']);
    } finally {
      await checking.close();
    }
  });

  test('auto-merge refused (405) is unavailable with the reason; no pipeline merges at once', async () => {
    fake.autoMergeAllowed = false;
    const r = await mrs().openOrUpdate(request({ autoMerge: 'merge' }));
    expect(r).toMatchObject({ number: 1, autoMerge: 'unavailable' });
    expect(r.autoMergeReason).toBe(
      'cannot enable auto-merge on merge request !1 in GitLab project group/sub/config: HTTP 405: 405 Method Not Allowed (merge status: mergeable)',
    );

    fake.autoMergeAllowed = true;
    fake.noPipeline = true;
    const again = await mrs().openOrUpdate(request({ autoMerge: 'merge' }));
    expect(again).toMatchObject({ number: 1, created: false, autoMerge: 'enabled' });
    expect(again.autoMergeReason).toMatch(/^merged at once/);
  });

  test('503 and 429 are retried; one that persists fails after the bounded attempts', async () => {
    fake.inject({ status: 503 });
    fake.inject({ status: 429 });
    const r = await mrs().openOrUpdate(request());
    expect(r.created).toBe(true);
    expect(fake.requests.map((q) => q.method)).toEqual(['GET', 'GET', 'GET', 'POST']);

    fake.requests.length = 0;
    fake.inject({ status: 502, times: 10 });
    const err = await failure(mrs().openOrUpdate(request()), GL_TOKEN);
    expect(err.message).toBe(
      'cannot list the open merge requests from promote/prod into main in GitLab project group/sub/config: HTTP 502: 502 Bad Gateway (4 attempts)',
    );
    expect(fake.requests).toHaveLength(4);
  });

  test('a hung server fails the call at the bound, without retrying it', async () => {
    fake.inject({ hang: true, on: /^PUT / });
    await mrs().openOrUpdate(request());
    const started = Date.now();
    const err = await failure(mrs({ timeoutMs: 400 }).openOrUpdate(request()), GL_TOKEN);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.message).toBe(
      'cannot update merge request !1 in GitLab project group/sub/config: no answer within 400ms',
    );
    expect(fake.requests.filter((q) => q.method === 'PUT')).toHaveLength(1);
  });

  test('403 is one line with the scope the token needs; a job token is told what to use instead', async () => {
    fake.inject({ status: 403, on: /^POST / });
    const err = await failure(mrs().openOrUpdate(request()), GL_TOKEN);
    expect(err.message).toBe(
      'cannot open a merge request from promote/prod into main in GitLab project group/sub/config: HTTP 403: 403 Forbidden (the token needs the `api` scope and at least the Developer role in the project)',
    );

    fake.requests.length = 0;
    fake.inject({ status: 403 });
    const job = await failure(mrs({ tokenKind: 'job' }).openOrUpdate(request()), GL_TOKEN);
    expect(job.message).toMatch(
      /HTTP 403: 403 Forbidden \(a CI job token cannot manage merge requests: use a project or group access token with the `api` scope\)$/,
    );
    expect(fake.requests[0]?.auth).toBe(`JOB-TOKEN ${GL_TOKEN}`);
  });

  test('the project is a numeric id or a group path, checked before any request', () => {
    for (const project of [
      'config',
      'group/',
      '/config',
      'group/../etc',
      'group/con fig',
      '0',
      'group/x.git',
    ])
      expect(() =>
        gitLabMergeRequests({ token: GL_TOKEN, project, apiUrl: fake.apiUrl, timeoutMs: 1000 }),
      ).toThrow(UserError);
  });

  test('without apiUrl, CI_API_V4_URL is where requests go', async () => {
    process.env.CI_API_V4_URL = fake.apiUrl;
    try {
      const r = await gitLabMergeRequests({ token: GL_TOKEN, project: '42', timeoutMs: 5000 }).openOrUpdate(
        request(),
      );
      expect(r.created).toBe(true);
    } finally {
      delete process.env.CI_API_V4_URL;
    }
  });
});
