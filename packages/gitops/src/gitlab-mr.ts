// Merge requests on GitLab through its REST API (v4) with the global fetch: found by source and
// target branch, opened or updated, labelled, reviewers added by user id, auto-merge enabled.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '@kubeline/runtime';
import {
  ForgeApiError,
  apiBaseUrl,
  callApi,
  registerToken,
  withCauses,
  type ApiFailure,
  type ChangeRequest,
  type ChangeRequestResult,
  type ChangeRequests,
  type ForgeApi,
} from './pull-request.js';

export interface GitLabMergeRequestsOptions {
  token: string;
  /** The numeric id, or the path with its namespace (`group/sub/project`). */
  project: string;
  /** Default: CI_API_V4_URL, else https://gitlab.com/api/v4. */
  apiUrl?: string;
  /** Bound on each request. */
  timeoutMs: number;
  /** `private` (personal, project or group access token; the default) or `job` (CI_JOB_TOKEN). */
  tokenKind?: 'private' | 'job';
}

interface MergeRequest {
  iid: number;
  web_url: string;
  title: string;
  sha?: string;
  state?: string;
  draft?: boolean;
  reviewers?: Array<{ id: number; username: string }>;
  detailed_merge_status?: string;
  merge_when_pipeline_succeeds?: boolean;
}

/** The answer of a failed request, read before callApi words it. */
class GitLabHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const USERNAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** Statuses GitLab shows while it works out whether a request can merge, just after a push. */
const MERGEABILITY_PENDING = new Set(['unchecked', 'checking', 'preparing', 'approvals_syncing']);
/** Answers of the merge endpoint that mean "not for this request", not "not for this token". */
const MERGE_REFUSED = new Set([405, 406, 409, 422]);
const DRAFT = /^\s*(\[draft\]|\(draft\)|draft:|draft\s-)/i;

/** The project as the API wants it in a path: a numeric id, or the URL-encoded full path. */
export function gitLabProjectId(project: string): string {
  if (/^[1-9][0-9]*$/.test(project)) return project;
  const segments = project.split('/');
  if (segments.length < 2 || !segments.every((s) => SEGMENT.test(s) && !s.endsWith('.git')))
    throw new UserError(
      `GitLab project ${JSON.stringify(project)} is not valid: expected a numeric id or group/project (group/sub/project)`,
    );
  return encodeURIComponent(project);
}

function gitLabMessage(data: unknown, fallback: string): string {
  const d = data as { message?: unknown; error?: unknown; error_description?: unknown } | undefined;
  const m = d?.message ?? d?.error_description ?? d?.error;
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.join('; ');
  if (m && typeof m === 'object')
    return Object.entries(m)
      .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
      .join('; ');
  return fallback;
}

function failure(err: unknown): ApiFailure | undefined {
  if (err instanceof GitLabHttpError) return { status: err.status, message: err.message };
  // fetch's network failures: a TypeError whose cause says what happened (ECONNREFUSED, …).
  if ((err as Error)?.name === 'TypeError' && (err as Error).cause) return { message: withCauses(err) };
  return undefined;
}

class GitLabMergeRequests implements ChangeRequests {
  private readonly mergeRequests: string;

  constructor(
    private readonly api: ForgeApi,
    private readonly baseUrl: string,
    project: string,
    private readonly header: 'PRIVATE-TOKEN' | 'JOB-TOKEN',
  ) {
    this.mergeRequests = `/projects/${project}/merge_requests`;
  }

  private request<T>(
    operation: string,
    method: string,
    path: string,
    body?: Record<string, unknown>,
  ): Promise<T> {
    return callApi(this.api, { operation }, async (signal) => {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          [this.header]: this.api.token,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal,
        // fetch keeps custom headers across a redirect to another host: the token must not follow.
        redirect: 'error',
      });
      const text = await res.text();
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        throw new GitLabHttpError(
          res.status,
          `the answer is not JSON (${res.statusText || 'no status text'})`,
        );
      }
      if (!res.ok) throw new GitLabHttpError(res.status, gitLabMessage(data, res.statusText));
      return data as T;
    });
  }

  async openOrUpdate(req: ChangeRequest): Promise<ChangeRequestResult> {
    const reviewerIds = await this.userIds(req.reviewers);
    const labels = [...new Set(req.labels.map((l) => l.trim()).filter(Boolean))];
    let mr = await this.findOpen(req);
    let created = false;
    if (mr) mr = await this.update(mr, req, labels, reviewerIds);
    else {
      try {
        mr = await this.create(req, labels, reviewerIds);
        created = true;
      } catch (err) {
        // Opened by a concurrent run (or by an attempt whose answer was lost) since we looked.
        const again =
          err instanceof ForgeApiError && err.status === 409 ? await this.findOpen(req) : undefined;
        if (!again) throw err;
        mr = await this.update(again, req, labels, reviewerIds);
      }
    }
    const result = { url: mr.web_url, number: mr.iid, created };
    if (!req.autoMerge) return { ...result, autoMerge: 'off' };
    return { ...result, ...(await this.enableAutoMerge(mr, req.autoMerge)) };
  }

  /** Usernames to ids, which is what GitLab takes; an unknown name is the user's mistake. */
  private async userIds(usernames: string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const raw of new Set(usernames.map((u) => u.trim().replace(/^@/, '')).filter(Boolean))) {
      if (!USERNAME.test(raw))
        throw new UserError(`reviewer ${JSON.stringify(raw)} is not a GitLab username`);
      const found = await this.request<Array<{ id: number; username: string }>>(
        `look up the GitLab user ${raw}`,
        'GET',
        `/users?username=${encodeURIComponent(raw)}`,
      );
      const user = found.find((u) => u.username.toLowerCase() === raw.toLowerCase());
      if (!user)
        throw new UserError(
          `reviewer ${JSON.stringify(raw)}: no GitLab user has this username (reviewers are usernames, without the @)`,
        );
      ids.push(user.id);
    }
    return ids;
  }

  private async findOpen(req: ChangeRequest): Promise<MergeRequest | undefined> {
    const q = new URLSearchParams({ state: 'opened', source_branch: req.head, target_branch: req.base });
    const list = await this.request<MergeRequest[]>(
      `list the open merge requests from ${req.head} into ${req.base}`,
      'GET',
      `${this.mergeRequests}?${q}`,
    );
    return list[0];
  }

  private create(req: ChangeRequest, labels: string[], reviewerIds: number[]): Promise<MergeRequest> {
    return this.request<MergeRequest>(
      `open a merge request from ${req.head} into ${req.base}`,
      'POST',
      this.mergeRequests,
      {
        source_branch: req.head,
        target_branch: req.base,
        // GitLab marks drafts by the title.
        title: req.draft && !DRAFT.test(req.title) ? `Draft: ${req.title}` : req.title,
        description: req.body,
        ...(labels.length ? { labels: labels.join(',') } : {}),
        ...(reviewerIds.length ? { reviewer_ids: reviewerIds } : {}),
      },
    );
  }

  private update(
    mr: MergeRequest,
    req: ChangeRequest,
    labels: string[],
    reviewerIds: number[],
  ): Promise<MergeRequest> {
    const current = (mr.reviewers ?? []).map((r) => r.id);
    const reviewers = [...new Set([...current, ...reviewerIds])];
    // A draft stays a draft: the title is what makes it one.
    const title = mr.draft && !DRAFT.test(req.title) ? `Draft: ${req.title}` : req.title;
    return this.request<MergeRequest>(
      `update merge request !${mr.iid}`,
      'PUT',
      `${this.mergeRequests}/${mr.iid}`,
      {
        title,
        description: req.body,
        // add_labels keeps the labels already there; reviewer_ids replaces, so it carries them all.
        ...(labels.length ? { add_labels: labels.join(',') } : {}),
        ...(reviewers.length > current.length ? { reviewer_ids: reviewers } : {}),
      },
    );
  }

  private async enableAutoMerge(
    mr: MergeRequest,
    method: 'merge' | 'squash' | 'rebase',
  ): Promise<Pick<ChangeRequestResult, 'autoMerge' | 'autoMergeReason'>> {
    // Just after a push GitLab is still checking mergeability and refuses to merge: wait, bounded.
    for (let i = 0; i < 4 && MERGEABILITY_PENDING.has(mr.detailed_merge_status ?? ''); i++) {
      await sleep(500 * 2 ** i);
      mr = await this.request<MergeRequest>(
        `read merge request !${mr.iid}`,
        'GET',
        `${this.mergeRequests}/${mr.iid}`,
      );
    }
    try {
      const merged = await this.request<MergeRequest>(
        `enable auto-merge on merge request !${mr.iid}`,
        'PUT',
        `${this.mergeRequests}/${mr.iid}/merge`,
        {
          // auto_merge since GitLab 17.11; merge_when_pipeline_succeeds before (and still accepted).
          auto_merge: true,
          merge_when_pipeline_succeeds: true,
          // Only the commit this run pushed is merged; a later push to the branch is not.
          ...(mr.sha ? { sha: mr.sha } : {}),
          // How a merge is made (merge commit, fast-forward) is the project's setting; squash is not.
          ...(method === 'squash' ? { squash: true } : {}),
        },
      );
      if (merged.state === 'merged')
        return { autoMerge: 'enabled', autoMergeReason: 'merged at once: there was no pipeline to wait for' };
      return { autoMerge: 'enabled' };
    } catch (err) {
      if (!(err instanceof ForgeApiError) || !MERGE_REFUSED.has(err.status ?? 0)) throw err;
      const status = mr.detailed_merge_status ? ` (merge status: ${mr.detailed_merge_status})` : '';
      return { autoMerge: 'unavailable', autoMergeReason: `${err.message}${status}` };
    }
  }
}

/** Merge requests of one GitLab project, with a token of the `api` scope. */
export function gitLabMergeRequests(o: GitLabMergeRequestsOptions): ChangeRequests {
  const project = gitLabProjectId(o.project);
  const baseUrl = apiBaseUrl(o.apiUrl, process.env.CI_API_V4_URL || 'https://gitlab.com/api/v4', 'GitLab');
  const job = o.tokenKind === 'job';
  const api: ForgeApi = {
    where: `GitLab project ${o.project}`,
    token: registerToken(o.token),
    timeoutMs: o.timeoutMs,
    failure,
    hint: (status) => {
      if (status === 401) return 'the token is not valid: expired, revoked, or not a GitLab token';
      if (status !== 403 && status !== 404) return '';
      return job
        ? 'a CI job token cannot manage merge requests: use a project or group access token with the `api` scope'
        : 'the token needs the `api` scope and at least the Developer role in the project';
    },
  };
  return new GitLabMergeRequests(api, baseUrl, project, job ? 'JOB-TOKEN' : 'PRIVATE-TOKEN');
}
