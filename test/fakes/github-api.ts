// A local fake of the GitHub REST/GraphQL API (GitHub is SaaS and cannot run here), exactly the
// endpoints kubeline uses: deployments and their statuses (helm-deploy), pull requests, their labels
// and reviewers, and the GraphQL mutation that enables auto-merge (gitops-promote).
import type { IncomingHttpHeaders } from 'node:http';
import {
  startRecordingServer,
  type RecordedRequest,
  type RecordingServer,
  type Reply,
} from './recording-server.js';

export type { Fault, RecordedRequest } from './recording-server.js';

export interface FakePull {
  number: number;
  node_id: string;
  /** `owner/name`. */
  repository: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  state: 'open' | 'closed';
  labels: string[];
  reviewers: string[];
  teams: string[];
  autoMerge?: 'MERGE' | 'SQUASH' | 'REBASE';
}

export interface GitHubFakeOptions {
  /** When set, any other token is refused with 401 `Bad credentials`. */
  token?: string;
  /** When set, reviews requested from anyone else are refused with 422, as GitHub does. */
  collaborators?: string[];
}

export interface GitHubFake extends RecordingServer {
  pulls: FakePull[];
  deployments: Array<{ id: number; repository: string; environment: string }>;
  /** False: the repository does not allow auto-merge (GraphQL answers an UNPROCESSABLE error). */
  autoMergeAllowed: boolean;
  /** Also forgets pull requests and deployments, and allows auto-merge again. */
  reset(): void;
  /** The web address GitHub gives pull requests (`html_url`). */
  webUrl: string;
}

const WEB = 'https://github.example';

function errorBody(status: number, message?: string): unknown {
  const text: Record<number, string> = {
    401: 'Bad credentials',
    403: 'Resource not accessible by integration',
    404: 'Not Found',
    429: 'API rate limit exceeded',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return {
    message: message ?? text[status] ?? `HTTP ${status}`,
    documentation_url: 'https://docs.github.com/rest',
    status: String(status),
  };
}

function pullJson(p: FakePull): Record<string, unknown> {
  const [owner] = p.repository.split('/');
  return {
    number: p.number,
    node_id: p.node_id,
    html_url: `${WEB}/${p.repository}/pull/${p.number}`,
    state: p.state,
    title: p.title,
    body: p.body,
    draft: p.draft,
    head: { ref: p.head, label: `${owner}:${p.head}` },
    base: { ref: p.base, label: `${owner}:${p.base}` },
    labels: p.labels.map((name) => ({ name })),
    requested_reviewers: p.reviewers.map((login) => ({ login })),
    requested_teams: p.teams.map((slug) => ({ slug })),
    auto_merge: p.autoMerge ? { merge_method: p.autoMerge.toLowerCase() } : null,
  };
}

function invalid(message: string): Reply {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls',
    },
  };
}

export async function startGitHubFake(o: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const pulls: FakePull[] = [];
  const deployments: GitHubFake['deployments'] = [];
  let nextNumber = 1;
  let nextDeployment = 100;

  const find = (repository: string, n: string | undefined) =>
    pulls.find((p) => p.repository === repository && p.number === Number(n));

  function graphql(req: RecordedRequest): Reply {
    const query = String(req.body.query ?? '');
    const vars = (req.body.variables ?? req.body) as Record<string, unknown>;
    if (!query.includes('enablePullRequestAutoMerge'))
      return {
        status: 200,
        body: { errors: [{ message: 'the fake knows only enablePullRequestAutoMerge' }] },
      };
    const pr = pulls.find((p) => p.node_id === vars.pullRequestId);
    const refuse = (type: string, message: string) => ({
      status: 200,
      body: {
        data: { enablePullRequestAutoMerge: null },
        errors: [{ type, path: ['enablePullRequestAutoMerge'], message }],
      },
    });
    if (!pr)
      return refuse(
        'NOT_FOUND',
        `Could not resolve to a node with the global id of '${String(vars.pullRequestId)}'`,
      );
    if (!fake.autoMergeAllowed)
      return refuse('UNPROCESSABLE', 'Pull request Auto merge is not allowed for this repository');
    pr.autoMerge = vars.mergeMethod as FakePull['autoMerge'];
    return {
      status: 200,
      body: { data: { enablePullRequestAutoMerge: { pullRequest: { number: pr.number } } } },
    };
  }

  function route(req: RecordedRequest, url: URL): Reply {
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (req.method === 'POST' && url.pathname === '/graphql') return graphql(req);
    if (!m) return { status: 404, body: errorBody(404) };
    const repository = `${m[1]}/${m[2]}`;
    const rest = m[3]!;
    const b = req.body;
    let r: RegExpExecArray | null;
    if (req.method === 'POST' && rest === '/deployments') {
      const d = { id: nextDeployment++, repository, environment: String(b.environment) };
      deployments.push(d);
      return { status: 201, body: { id: d.id, environment: d.environment } };
    }
    if (req.method === 'POST' && /^\/deployments\/\d+\/statuses$/.test(rest))
      return { status: 201, body: { id: 1, state: b.state } };
    if (req.method === 'GET' && rest === '/pulls') {
      const q = url.searchParams;
      const head = q.get('head') ?? '';
      // As GitHub: a head filter not written owner:branch is ignored, not refused.
      const [headOwner, headRef] = head.includes(':') ? head.split(':') : [undefined, undefined];
      const list = pulls.filter(
        (p) =>
          p.repository === repository &&
          (q.get('state') === 'all' || p.state === (q.get('state') ?? 'open')) &&
          (!q.get('base') || p.base === q.get('base')) &&
          (headRef === undefined || (headOwner === m[1] && p.head === headRef)),
      );
      return { status: 200, body: list.map(pullJson) };
    }
    if (req.method === 'POST' && rest === '/pulls') {
      for (const f of ['title', 'head', 'base'])
        if (typeof b[f] !== 'string' || !b[f]) return invalid(`${f} wasn't supplied.`);
      const [owner] = repository.split('/');
      if (
        pulls.some(
          (p) => p.repository === repository && p.state === 'open' && p.head === b.head && p.base === b.base,
        )
      )
        return invalid(`A pull request already exists for ${owner}:${String(b.head)}.`);
      const p: FakePull = {
        number: nextNumber++,
        node_id: `PR_kwFake${nextNumber}`,
        repository,
        head: String(b.head),
        base: String(b.base),
        title: String(b.title),
        body: String(b.body ?? ''),
        draft: b.draft === true,
        state: 'open',
        labels: [],
        reviewers: [],
        teams: [],
      };
      pulls.push(p);
      return { status: 201, body: pullJson(p) };
    }
    if (req.method === 'PATCH' && (r = /^\/pulls\/(\d+)$/.exec(rest))) {
      const p = find(repository, r[1]);
      if (!p) return { status: 404, body: errorBody(404) };
      if (typeof b.title === 'string') p.title = b.title;
      if (typeof b.body === 'string') p.body = b.body;
      if (b.state === 'closed' || b.state === 'open') p.state = b.state;
      return { status: 200, body: pullJson(p) };
    }
    if (req.method === 'POST' && (r = /^\/issues\/(\d+)\/labels$/.exec(rest))) {
      const p = find(repository, r[1]);
      if (!p) return { status: 404, body: errorBody(404) };
      for (const l of (b.labels as string[] | undefined) ?? []) if (!p.labels.includes(l)) p.labels.push(l);
      return { status: 200, body: p.labels.map((name) => ({ name })) };
    }
    if (req.method === 'POST' && (r = /^\/pulls\/(\d+)\/requested_reviewers$/.exec(rest))) {
      const p = find(repository, r[1]);
      if (!p) return { status: 404, body: errorBody(404) };
      const users = (b.reviewers as string[] | undefined) ?? [];
      const teams = (b.team_reviewers as string[] | undefined) ?? [];
      if (o.collaborators && users.some((u) => !o.collaborators!.includes(u)))
        return invalid(
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repository} repository.`,
        );
      for (const u of users) if (!p.reviewers.includes(u)) p.reviewers.push(u);
      for (const t of teams) if (!p.teams.includes(t)) p.teams.push(t);
      return { status: 201, body: pullJson(p) };
    }
    return { status: 404, body: errorBody(404) };
  }

  const server = await startRecordingServer({
    auth: (h: IncomingHttpHeaders) => String(h.authorization ?? ''),
    errorBody,
    route: (req, url) => {
      const [scheme, token] = req.auth.split(' ');
      if (!token || !/^(token|bearer)$/i.test(scheme ?? ''))
        return { status: 401, body: errorBody(401, 'Requires authentication') };
      if (o.token !== undefined && token !== o.token) return { status: 401, body: errorBody(401) };
      return route(req, url);
    },
  });
  const forget = server.reset;
  const fake: GitHubFake = Object.assign(server, {
    pulls,
    deployments,
    webUrl: WEB,
    autoMergeAllowed: true,
    reset: () => {
      forget();
      pulls.length = 0;
      deployments.length = 0;
      nextNumber = 1;
      fake.autoMergeAllowed = true;
    },
  });
  return fake;
}
