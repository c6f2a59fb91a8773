// Pull requests on GitHub through @actions/github (loaded on first use): found by head and base,
// opened or updated, labelled, reviewers requested, auto-merge enabled by GraphQL.
import { UserError } from '@kubeline/runtime';
import {
  ForgeApiError,
  apiBaseUrl,
  callApi,
  forgeApiError,
  registerToken,
  withCauses,
  type ApiFailure,
  type ChangeRequest,
  type ChangeRequestResult,
  type ChangeRequests,
  type ForgeApi,
} from './pull-request.js';

type Octokit = ReturnType<typeof import('@actions/github').getOctokit>;

export interface GitHubPullRequestsOptions {
  token: string;
  /** `owner/name`. */
  repository: string;
  /** Default: GITHUB_API_URL, else https://api.github.com. */
  apiUrl?: string;
  /** Bound on each request. */
  timeoutMs: number;
}

interface Repo {
  owner: string;
  repo: string;
}

interface PullRef {
  number: number;
  html_url: string;
  node_id: string;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const TEAM = /^[A-Za-z0-9_.-]{1,100}$/;

const READ = '`pull-requests: read`';
const WRITE = '`pull-requests: write`';
const AUTO_MERGE = '`pull-requests: write` and `contents: write`';

export function parseGitHubRepository(repository: string): Repo {
  const [owner = '', repo = '', ...rest] = repository.split('/');
  if (rest.length || !OWNER.test(owner) || !NAME.test(repo) || repo === '.' || repo === '..')
    throw new UserError(`GitHub repository ${JSON.stringify(repository)} is not valid: expected owner/name`);
  return { owner, repo };
}

/** `login` → a user; `org/team` → a team of the repository's organisation. */
function splitReviewers(reviewers: string[], owner: string): { users: string[]; teams: string[] } {
  const users: string[] = [];
  const teams: string[] = [];
  for (const raw of reviewers) {
    const r = raw.trim().replace(/^@/, '');
    if (!r) continue;
    const [org, team, ...rest] = r.split('/');
    if (team === undefined) {
      if (!LOGIN.test(r)) throw new UserError(`reviewer ${JSON.stringify(raw)} is not a GitHub login`);
      users.push(r);
    } else if (rest.length || !TEAM.test(team) || org?.toLowerCase() !== owner.toLowerCase()) {
      throw new UserError(
        `reviewer ${JSON.stringify(raw)}: a team is written ${owner}/team-slug (teams of the repository's organisation)`,
      );
    } else teams.push(team);
  }
  return { users, teams };
}

function hint(status: number, needs: string | undefined): string {
  if (status === 401) return 'the token is not valid: expired, revoked, or not a GitHub token';
  if (status === 403 || status === 404) return `the token needs ${needs ?? WRITE} on the repository`;
  return '';
}

/** Octokit's RequestError: the status, and GitHub's message without its documentation link. */
function failure(err: unknown): ApiFailure | undefined {
  const e = err as {
    name?: string;
    status?: number;
    message?: string;
    response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string } | string> } };
  };
  if (e?.name !== 'HttpError') return undefined;
  if (!e.response) return { message: withCauses(e), transient: true };
  const data = e.response.data;
  const details = (data?.errors ?? [])
    .map((x) => (typeof x === 'string' ? x : (x.message ?? x.code)))
    .filter(Boolean);
  const message = [data?.message ?? e.message ?? 'error', ...details].join(': ');
  // A secondary rate limit is a 403 that passes with time, not a missing permission.
  const limited = e.status === 403 && /rate limit/i.test(message);
  return { status: e.status, message, ...(limited ? { transient: true } : {}) };
}

const ENABLE_AUTO_MERGE = `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
    pullRequest { number }
  }
}`;

interface GraphqlRefusal {
  errors?: Array<{ type?: string; message?: string }>;
}

class GitHubPullRequests implements ChangeRequests {
  private octokit?: Promise<Octokit>;

  constructor(
    private readonly api: ForgeApi,
    private readonly r: Repo,
    private readonly baseUrl: string,
  ) {}

  private client(): Promise<Octokit> {
    // @actions/github picks its proxy for GITHUB_API_URL when it loads, whatever baseUrl says:
    // the proxy (or none, e.g. NO_PROXY) is chosen here for the API actually called.
    this.octokit ??= Promise.all([import('@actions/github'), import('@actions/http-client')]).then(
      ([{ getOctokit }, { HttpClient }]) => {
        const dispatcher = new HttpClient().getAgentDispatcher(this.baseUrl);
        const proxied: typeof fetch = (url, init) =>
          fetch(url, { ...init, ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
        return getOctokit(this.api.token, { baseUrl: this.baseUrl, request: { fetch: proxied } });
      },
    );
    return this.octokit;
  }

  async openOrUpdate(req: ChangeRequest): Promise<ChangeRequestResult> {
    const reviewers = splitReviewers(req.reviewers, this.r.owner);
    const gh = await this.client();
    let pr = await this.findOpen(gh, req);
    let created = false;
    if (pr) pr = await this.update(gh, pr.number, req);
    else {
      try {
        pr = await this.create(gh, req);
        created = true;
      } catch (err) {
        // Opened by a concurrent run (or by an attempt whose answer was lost) since we looked.
        const again = isAlreadyOpen(err) ? await this.findOpen(gh, req) : undefined;
        if (!again) throw err;
        pr = await this.update(gh, again.number, req);
      }
    }
    const labels = [...new Set(req.labels.map((l) => l.trim()).filter(Boolean))];
    if (labels.length) await this.addLabels(gh, pr.number, labels);
    if (reviewers.users.length || reviewers.teams.length)
      await this.requestReviewers(gh, pr.number, reviewers);
    const result = { url: pr.html_url, number: pr.number, created };
    if (!req.autoMerge) return { ...result, autoMerge: 'off' };
    const refusal = await this.enableAutoMerge(gh, pr, req.autoMerge);
    return refusal === undefined
      ? { ...result, autoMerge: 'enabled' }
      : { ...result, autoMerge: 'unavailable', autoMergeReason: refusal };
  }

  private async findOpen(gh: Octokit, req: ChangeRequest): Promise<PullRef | undefined> {
    const { owner, repo } = this.r;
    const label = `${owner}:${req.head}`;
    const list = await callApi(
      this.api,
      { operation: `list the open pull requests from ${req.head} into ${req.base}`, needs: READ },
      (signal) =>
        gh.rest.pulls.list({
          owner,
          repo,
          state: 'open',
          head: label,
          base: req.base,
          per_page: 100,
          request: { signal },
        }),
    );
    // Checked again here: GitHub ignores a head filter it cannot read instead of refusing it.
    return list.data.find((p) => p.head.label === label && p.base.ref === req.base);
  }

  private async create(gh: Octokit, req: ChangeRequest): Promise<PullRef> {
    const res = await callApi(
      this.api,
      { operation: `open a pull request from ${req.head} into ${req.base}` },
      (signal) =>
        gh.rest.pulls.create({
          ...this.r,
          head: req.head,
          base: req.base,
          title: req.title,
          body: req.body,
          draft: req.draft ?? false,
          maintainer_can_modify: false,
          request: { signal },
        }),
    );
    return res.data;
  }

  private async update(gh: Octokit, number: number, req: ChangeRequest): Promise<PullRef> {
    const res = await callApi(this.api, { operation: `update pull request #${number}` }, (signal) =>
      gh.rest.pulls.update({
        ...this.r,
        pull_number: number,
        title: req.title,
        body: req.body,
        request: { signal },
      }),
    );
    return res.data;
  }

  private async addLabels(gh: Octokit, number: number, labels: string[]): Promise<void> {
    await callApi(this.api, { operation: `add labels to pull request #${number}` }, (signal) =>
      gh.rest.issues.addLabels({ ...this.r, issue_number: number, labels, request: { signal } }),
    );
  }

  private async requestReviewers(
    gh: Octokit,
    number: number,
    who: { users: string[]; teams: string[] },
  ): Promise<void> {
    const named = [...who.users, ...who.teams.map((t) => `${this.r.owner}/${t}`)].join(', ');
    await callApi(
      this.api,
      { operation: `request reviews from ${named} on pull request #${number}` },
      (signal) =>
        gh.rest.pulls.requestReviewers({
          ...this.r,
          pull_number: number,
          reviewers: who.users,
          team_reviewers: who.teams,
          request: { signal },
        }),
    );
  }

  /** Undefined when enabled; else why GitHub refused (not allowed in the repository, a draft…). */
  private async enableAutoMerge(
    gh: Octokit,
    pr: PullRef,
    method: 'merge' | 'squash' | 'rebase',
  ): Promise<string | undefined> {
    const operation = `enable auto-merge (${method}) on pull request #${pr.number}`;
    const refusal = await callApi(this.api, { operation, needs: AUTO_MERGE }, async (signal) => {
      try {
        await gh.graphql(ENABLE_AUTO_MERGE, {
          pullRequestId: pr.node_id,
          mergeMethod: method.toUpperCase(),
          request: { signal },
        });
        return undefined;
      } catch (err) {
        // GraphQL refusals come in a 200 answer's `errors`, not as an HTTP status.
        if ((err as Error).name !== 'GraphqlResponseError') throw err;
        return (err as GraphqlRefusal).errors ?? [];
      }
    });
    if (refusal === undefined) return undefined;
    const reason = refusal.map((e) => e.message ?? e.type).join('; ') || 'refused without a reason';
    if (refusal.some((e) => e.type === 'FORBIDDEN' || e.type === 'UNAUTHORIZED'))
      throw forgeApiError(this.api, { operation }, `${reason} (the token needs ${AUTO_MERGE})`);
    return reason;
  }
}

function isAlreadyOpen(err: unknown): boolean {
  return err instanceof ForgeApiError && err.status === 422 && /already exists/i.test(err.message);
}

/** Pull requests of one GitHub repository, with a token allowed `pull-requests: write`. */
export function gitHubPullRequests(o: GitHubPullRequestsOptions): ChangeRequests {
  const repo = parseGitHubRepository(o.repository);
  const baseUrl = apiBaseUrl(o.apiUrl, process.env.GITHUB_API_URL || 'https://api.github.com', 'GitHub');
  const api: ForgeApi = {
    where: `GitHub repository ${repo.owner}/${repo.repo}`,
    token: registerToken(o.token),
    timeoutMs: o.timeoutMs,
    failure,
    hint,
  };
  return new GitHubPullRequests(api, repo, baseUrl);
}
