import { UserError, addSecret, type PlatformName } from '@kubeline/runtime';

/** Which certificate identities a keyless verification accepts (one of each pair is set). */
export interface CertificateIdentity {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
}

/**
 * The cosign OIDC provider that fetches this job's identity token. Checked before anything runs:
 * without the token cosign would fall back to an interactive browser flow and hang or fail late.
 */
export function keylessOidcProvider(
  platform: PlatformName,
  env: NodeJS.ProcessEnv,
): 'github-actions' | 'envvar' {
  if (platform === 'github') {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
      throw new UserError(
        'keyless signing needs the job’s OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: add `permissions: id-token: write` to the job',
      );
    addSecret(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
    return 'github-actions';
  }
  if (!env.SIGSTORE_ID_TOKEN) {
    const how =
      platform === 'gitlab'
        ? 'add `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` to the job'
        : 'set SIGSTORE_ID_TOKEN to an OIDC token whose audience is sigstore';
    throw new UserError(`keyless signing needs an OIDC token in SIGSTORE_ID_TOKEN, which is not set: ${how}`);
  }
  addSecret(env.SIGSTORE_ID_TOKEN);
  return 'envvar';
}

/**
 * The identity Fulcio puts in the certificate of this CI job, so a keyless signature can be
 * verified right after signing without the user repeating it. Undefined off CI.
 */
export function jobIdentity(platform: PlatformName, env: NodeJS.ProcessEnv): CertificateIdentity | undefined {
  if (platform === 'github' && env.GITHUB_WORKFLOW_REF) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const issuer =
      server === 'https://github.com'
        ? 'https://token.actions.githubusercontent.com'
        : `${server}/_services/token`;
    return { identity: `${server}/${env.GITHUB_WORKFLOW_REF}`, issuer };
  }
  if (platform === 'gitlab' && env.CI_SERVER_URL && env.CI_PROJECT_PATH) {
    // Fulcio's GitLab SAN is the pipeline config at its ref: <server>/<project>//<config>@refs/…
    const ref = env.CI_COMMIT_TAG ? `refs/tags/${env.CI_COMMIT_TAG}` : `refs/heads/${env.CI_COMMIT_REF_NAME}`;
    const config = env.CI_CONFIG_PATH || '.gitlab-ci.yml';
    return {
      identity: `${env.CI_SERVER_URL}/${env.CI_PROJECT_PATH}//${config}@${ref}`,
      issuer: env.CI_SERVER_URL,
    };
  }
  return undefined;
}
