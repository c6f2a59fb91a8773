// The inputs every Git-writing step shares (gitops-promote, rollback's gitops kind), read once:
// where the repository is, how git gets in, and which files take the image where.
import { InputError, UserError, addSecret, detectPlatform } from '@kubeline/runtime';
import { parseImageValuesPath, parseReference } from '@kubeline/image';
import {
  checkAuthFits,
  defaultTokenUser,
  parseRepository,
  type GitAuth,
  type GitRemote,
} from './git-remote.js';
import type { Author } from './git.js';
import type { FileKind, Placement } from './placement.js';

export interface GitInputs {
  repository: string;
  token: string;
  username: string;
  'ssh-key': string;
  'known-hosts': string;
}

export interface PlacementInputs {
  kind: FileKind | 'auto';
  'values-path': string;
  'image-name': string;
  container: string;
  'image-policy': string;
}

function gitAuth(
  inputs: GitInputs,
  remote: GitRemote,
  embedded: { username?: string; password?: string },
): GitAuth {
  const token = inputs.token || embedded.password || '';
  if (inputs['ssh-key'] && token)
    throw new UserError('give token or ssh-key, not both: one repository has one way in');
  if (inputs['ssh-key']) {
    if (!inputs['known-hosts'].trim())
      throw new InputError(
        'known-hosts',
        '',
        "known_hosts lines for the repository's host (ssh-keyscan output checked out of band): hosts are never trusted on first use",
      );
    addSecret(inputs['ssh-key']);
    return { kind: 'ssh-key', key: inputs['ssh-key'], knownHosts: inputs['known-hosts'] };
  }
  if (!token) return { kind: 'none' };
  const username = inputs.username || embedded.username || defaultTokenUser(remote.host);
  return { kind: 'token', username, token };
}

/** The remote and its credentials, checked to fit each other. */
export function gitAccess(inputs: GitInputs): { remote: GitRemote; auth: GitAuth } {
  const { remote, ...embedded } = parseRepository(inputs.repository);
  const auth = gitAuth(inputs, remote, embedded);
  checkAuthFits(remote, auth);
  return { remote, auth };
}

export function placementOf(inputs: PlacementInputs): Placement {
  const image = inputs['image-name'];
  if (image) parseReference(image); // a bad name fails here, not after the clone
  const policy = inputs['image-policy'];
  if (policy && inputs.kind !== 'auto' && inputs.kind !== 'markers')
    throw new UserError(
      `image-policy ${policy} is for values carrying Flux $imagepolicy markers: set kind to markers or auto, not ${inputs.kind}`,
    );
  if (!policy && inputs.kind === 'markers')
    throw new InputError(
      'image-policy',
      '',
      'kind markers needs the Flux ImagePolicy whose markers take the image, as <namespace>:<name>',
    );
  return {
    kind: inputs.kind,
    ...(policy ? { imagePolicy: policy } : {}),
    values: parseImageValuesPath(inputs['values-path'] || 'image'),
    ...(image ? { image } : {}),
    ...(inputs.container ? { container: inputs.container } : {}),
  };
}

/** The commit's author: the inputs, else the CI platform's own bot or user, else kubeline. */
export function commitAuthor(
  inputs: { 'author-name': string; 'author-email': string },
  env: NodeJS.ProcessEnv = process.env,
): Author {
  if (inputs['author-name'])
    return {
      name: inputs['author-name'],
      email: inputs['author-email'] || `${inputs['author-name']}@users.noreply.kubeline.dev`,
    };
  const platform = detectPlatform(env);
  if (platform === 'github')
    return { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };
  if (platform === 'gitlab' && env.GITLAB_USER_NAME)
    return {
      name: env.GITLAB_USER_NAME,
      email: env.GITLAB_USER_EMAIL || `${env.GITLAB_USER_LOGIN}@noreply.gitlab`,
    };
  return { name: 'kubeline', email: inputs['author-email'] || 'kubeline@localhost' };
}
