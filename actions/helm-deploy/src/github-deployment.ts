// A GitHub Deployment for the environment, with statuses as the deploy goes: in progress, then
// success or failure, linking the environment URL and this run's log. @actions/github (and the HTTP
// stack under it) is loaded only when a token is given.
import { UserError, mask, type Logger } from '@kubeline/runtime';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface DeploymentTarget {
  token: string;
  environment: string;
  environmentUrl?: string;
  logUrl?: string;
  description: string;
  env: NodeJS.ProcessEnv;
}

type Octokit = ReturnType<typeof import('@actions/github').getOctokit>;

function repository(env: NodeJS.ProcessEnv): { owner: string; repo: string } {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo)
    throw new UserError(
      'github-token was given but GITHUB_REPOSITORY is not set: GitHub Deployments need a GitHub run',
    );
  return { owner, repo };
}

function httpReason(e: unknown): string {
  const status = (e as { status?: number }).status;
  const hint = status === 403 || status === 404 ? ' (the token needs `deployments: write`)' : '';
  return `${status ? `HTTP ${status}: ` : ''}${(e as Error).message.split('\n')[0]}${hint}`;
}

export class GitHubDeployment {
  private constructor(
    private readonly octokit: Octokit,
    private readonly repo: { owner: string; repo: string },
    readonly id: number,
    private readonly target: DeploymentTarget,
  ) {}

  /** Creates the deployment; a refusal stops the run before anything is applied. */
  static async create(t: DeploymentTarget): Promise<GitHubDeployment> {
    const repo = repository(t.env);
    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit(t.token);
    try {
      const res = await octokit.rest.repos.createDeployment({
        ...repo,
        ref: t.env.GITHUB_SHA || t.env.GITHUB_REF || 'HEAD',
        environment: t.environment,
        description: t.description,
        auto_merge: false,
        // Status checks are the pipeline's business; the deployment records what was deployed.
        required_contexts: [],
      });
      if (!('id' in res.data)) throw new Error(res.data.message ?? 'no deployment id returned');
      return new GitHubDeployment(octokit, repo, res.data.id, t);
    } catch (e) {
      throw new UserError(`cannot create the GitHub Deployment for ${t.environment}: ${httpReason(e)}`);
    }
  }

  /** For the post step: the deployment created by the main step. */
  static async reopen(t: DeploymentTarget, id: number): Promise<GitHubDeployment> {
    const { getOctokit } = await import('@actions/github');
    return new GitHubDeployment(getOctokit(t.token), repository(t.env), id, t);
  }

  /** A failed status update is a warning: the deploy itself is what matters. */
  async status(state: DeploymentState, description: string, log: Logger): Promise<void> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: this.id,
        state,
        ...(this.target.environment ? { environment: this.target.environment } : {}),
        // Error text can quote a value or a tool's output: masked before it leaves for GitHub.
        description: mask(description).slice(0, 140),
        ...(this.target.environmentUrl ? { environment_url: this.target.environmentUrl } : {}),
        ...(this.target.logUrl ? { log_url: this.target.logUrl } : {}),
        auto_inactive: state === 'success',
      });
    } catch (e) {
      log.warning(`could not set the GitHub Deployment ${this.id} to ${state}: ${httpReason(e)}`);
    }
  }
}
