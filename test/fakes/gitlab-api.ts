// A local fake of the GitLab REST API v4 (gitlab.com is SaaS and cannot run here), exactly the
// endpoints kubeline uses: user lookup by username, and merge requests found, opened, updated and
// set to merge when the pipeline succeeds (gitops-promote).
import type { IncomingHttpHeaders } from 'node:http';
import {
  startRecordingServer,
  type RecordedRequest,
  type RecordingServer,
  type Reply,
} from './recording-server.js';

export type { Fault, RecordedRequest } from './recording-server.js';

export interface FakeMergeRequest {
  iid: number;
  projectId: number;
  source: string;
  target: string;
  title: string;
  description: string;
  state: 'opened' | 'merged' | 'closed';
  labels: string[];
  reviewerIds: number[];
  sha: string;
  autoMerge: boolean;
  squash: boolean;
  /** Reads left during which GitLab still reports the mergeability check as running. */
  checking: number;
}

export interface GitLabFakeOptions {
  /** When set, any other token is refused with 401. */
  token?: string;
  /** Default: `group/sub/config` with id 42. */
  projects?: Array<{ id: number; path: string }>;
  /** Default: alice (7) and bob (8). */
  users?: Array<{ id: number; username: string }>;
  /** How many reads of a new merge request report `checking` before `mergeable`; default 0. */
  checkingReads?: number;
}

export interface GitLabFake extends RecordingServer {
  /** The API root, `<url>/api/v4`. */
  apiUrl: string;
  mergeRequests: FakeMergeRequest[];
  /** False: the merge endpoint answers 405, as GitLab does for a request it will not merge. */
  autoMergeAllowed: boolean;
  /** True: no pipeline to wait for, so the merge endpoint merges at once. */
  noPipeline: boolean;
  /** Also forgets merge requests, and restores autoMergeAllowed and noPipeline. */
  reset(): void;
}

const WEB = 'https://gitlab.example';

function errorBody(status: number, message?: string): unknown {
  const text: Record<number, string> = {
    401: '401 Unauthorized',
    403: '403 Forbidden',
    404: '404 Not Found',
    405: '405 Method Not Allowed',
    429: 'Retry later',
    500: '500 Internal Server Error',
    502: '502 Bad Gateway',
    503: '503 Service Unavailable',
  };
  return { message: message ?? text[status] ?? `${status}` };
}

export async function startGitLabFake(o: GitLabFakeOptions = {}): Promise<GitLabFake> {
  const projects = o.projects ?? [{ id: 42, path: 'group/sub/config' }];
  const users = o.users ?? [
    { id: 7, username: 'alice' },
    { id: 8, username: 'bob' },
  ];
  const mergeRequests: FakeMergeRequest[] = [];
  let nextIid = 1;
  let nextSha = 1;

  function mrJson(mr: FakeMergeRequest): Record<string, unknown> {
    const path = projects.find((p) => p.id === mr.projectId)!.path;
    return {
      id: 1000 + mr.iid,
      iid: mr.iid,
      project_id: mr.projectId,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      source_branch: mr.source,
      target_branch: mr.target,
      web_url: `${WEB}/${path}/-/merge_requests/${mr.iid}`,
      sha: mr.sha,
      draft: /^draft:/i.test(mr.title),
      labels: mr.labels,
      reviewers: mr.reviewerIds.map((id) => ({ id, username: users.find((u) => u.id === id)?.username })),
      detailed_merge_status: mr.checking > 0 ? 'checking' : 'mergeable',
      merge_when_pipeline_succeeds: mr.autoMerge,
      squash: mr.squash,
    };
  }

  function labelList(v: unknown): string[] {
    if (Array.isArray(v)) return v.map(String);
    return typeof v === 'string' && v ? v.split(',').map((l) => l.trim()) : [];
  }

  function route(req: RecordedRequest, url: URL): Reply {
    if (!url.pathname.startsWith('/api/v4/')) return { status: 404, body: errorBody(404) };
    // Split on the raw path: a project path arrives URL-encoded, one segment.
    const parts = url.pathname.slice('/api/v4/'.length).split('/');
    const b = req.body;
    const q = url.searchParams;
    if (req.method === 'GET' && parts.length === 1 && parts[0] === 'users') {
      const name = q.get('username');
      return { status: 200, body: users.filter((u) => !name || u.username === name) };
    }
    if (parts[0] !== 'projects' || parts[2] !== 'merge_requests')
      return { status: 404, body: errorBody(404) };
    const key = decodeURIComponent(parts[1] ?? '');
    const project = projects.find((p) => String(p.id) === key || p.path === key);
    if (!project) return { status: 404, body: errorBody(404, '404 Project Not Found') };
    const iid = parts[3];
    const mr = mergeRequests.find((m) => m.projectId === project.id && String(m.iid) === iid);
    if (iid !== undefined && !mr) return { status: 404, body: errorBody(404) };

    if (req.method === 'GET' && parts.length === 3) {
      const list = mergeRequests.filter(
        (m) =>
          m.projectId === project.id &&
          (!q.get('state') || q.get('state') === 'all' || m.state === q.get('state')) &&
          (!q.get('source_branch') || m.source === q.get('source_branch')) &&
          (!q.get('target_branch') || m.target === q.get('target_branch')),
      );
      return { status: 200, body: list.map(mrJson) };
    }
    if (req.method === 'POST' && parts.length === 3) {
      for (const f of ['source_branch', 'target_branch', 'title'])
        if (typeof b[f] !== 'string' || !b[f]) return { status: 400, body: { error: `${f} is missing` } };
      const open = mergeRequests.find(
        (m) =>
          m.projectId === project.id &&
          m.state === 'opened' &&
          m.source === b.source_branch &&
          m.target === b.target_branch,
      );
      if (open)
        return {
          status: 409,
          body: {
            message: [`Another open merge request already exists for this source branch: !${open.iid}`],
          },
        };
      const created: FakeMergeRequest = {
        iid: nextIid++,
        projectId: project.id,
        source: String(b.source_branch),
        target: String(b.target_branch),
        title: String(b.title),
        description: String(b.description ?? ''),
        state: 'opened',
        labels: labelList(b.labels),
        reviewerIds: ((b.reviewer_ids as number[] | undefined) ?? []).map(Number),
        sha: `${nextSha++}`.padStart(40, '0'),
        autoMerge: false,
        squash: false,
        checking: o.checkingReads ?? 0,
      };
      mergeRequests.push(created);
      const body = mrJson(created);
      if (created.checking > 0) created.checking--;
      return { status: 201, body };
    }
    if (!mr) return { status: 404, body: errorBody(404) };
    if (req.method === 'GET' && parts.length === 4) {
      const body = mrJson(mr);
      if (mr.checking > 0) mr.checking--;
      return { status: 200, body };
    }
    if (req.method === 'PUT' && parts.length === 4) {
      if (typeof b.title === 'string') mr.title = b.title;
      if (typeof b.description === 'string') mr.description = b.description;
      if (b.labels !== undefined) mr.labels = labelList(b.labels);
      for (const l of labelList(b.add_labels)) if (!mr.labels.includes(l)) mr.labels.push(l);
      if (Array.isArray(b.reviewer_ids)) mr.reviewerIds = b.reviewer_ids.map(Number);
      return { status: 200, body: mrJson(mr) };
    }
    if (req.method === 'PUT' && parts.length === 5 && parts[4] === 'merge') {
      if (!fake.autoMergeAllowed || mr.checking > 0 || mr.state !== 'opened')
        return { status: 405, body: errorBody(405) };
      if (b.sha !== undefined && b.sha !== mr.sha)
        return { status: 409, body: { message: 'SHA does not match HEAD of source branch: ' + mr.sha } };
      if (b.squash === true) mr.squash = true;
      if (fake.noPipeline) mr.state = 'merged';
      else if (b.merge_when_pipeline_succeeds === true || b.auto_merge === true) mr.autoMerge = true;
      return { status: 200, body: mrJson(mr) };
    }
    return { status: 404, body: errorBody(404) };
  }

  const server = await startRecordingServer({
    auth: (h: IncomingHttpHeaders) =>
      h['private-token'] !== undefined
        ? `PRIVATE-TOKEN ${String(h['private-token'])}`
        : h['job-token'] !== undefined
          ? `JOB-TOKEN ${String(h['job-token'])}`
          : '',
    errorBody,
    route: (req, url) => {
      const token = req.auth.split(' ')[1];
      if (!token || (o.token !== undefined && token !== o.token))
        return { status: 401, body: errorBody(401) };
      return route(req, url);
    },
  });
  const forget = server.reset;
  const fake: GitLabFake = Object.assign(server, {
    apiUrl: `${server.url}/api/v4`,
    mergeRequests,
    autoMergeAllowed: true,
    noPipeline: false,
    reset: () => {
      forget();
      mergeRequests.length = 0;
      nextIid = 1;
      fake.autoMergeAllowed = true;
      fake.noPipeline = false;
    },
  });
  return fake;
}
