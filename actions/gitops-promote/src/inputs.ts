import { imageInput } from '@kubeline/image';
import { input, type InputSpec, type InputValues } from '@kubeline/runtime';
import type { InputName } from './action.generated.js';

const BRANCH = {
  pattern: /^(?!-|\/|.*(\/\/|\.\.|@\{|\/\.|\.lock$|\/$))[A-Za-z0-9._/-]{1,200}$/,
  allowed: 'a branch name: letters, digits, . _ - and /, no "..", not starting with - or /',
};

export const inputSpec = {
  image: imageInput,
  repository: input.string(),
  branch: input.string(BRANCH),
  path: input.list(),
  kind: input.enum(['auto', 'kustomize', 'helm-values', 'helm-release', 'argocd', 'manifests'] as const),
  'values-path': input.string(),
  'image-name': input.string(),
  container: input.string({
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    allowed: 'a container name: lowercase letters, digits and dashes',
  }),
  environment: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    allowed: 'letters, digits, . _ and -, at most 63 characters',
  }),
  mode: input.enum(['push', 'pull-request'] as const),
  'pull-request-branch': input.string(BRANCH),
  'pull-request-labels': input.list(),
  'pull-request-reviewers': input.list(),
  'auto-merge': input.enum(['false', 'merge', 'squash', 'rebase'] as const),
  forge: input.enum(['auto', 'github', 'gitlab'] as const),
  'forge-api-url': input.url(),
  'forge-token': input.secret(),
  token: input.secret(),
  username: input.string(),
  'ssh-key': input.secret(),
  'known-hosts': input.multiline(),
  'author-name': input.string(),
  'author-email': input.string({
    pattern: /^[^\s<>@]+@[^\s<>@]+$/,
    allowed: 'an email address',
  }),
  message: input.string(),
  'push-attempts': input.number({ min: 1, max: 50, integer: true }),
  'require-signature': input.boolean(),
  'signature-key': input.multiline(),
  'certificate-identity': input.string(),
  'certificate-identity-regexp': input.string(),
  'certificate-oidc-issuer': input.string(),
  'certificate-oidc-issuer-regexp': input.string(),
  'signature-transparency-log': input.boolean(),
  'require-scan': input.string(),
  'scan-fail-on': input.list(),
  'registry-username': input.string(),
  'registry-password': input.secret(),
  'registry-ca': input.multiline(),
  'wait-for': input.list(),
  kubeconfig: input.multiline(),
  context: input.string(),
  timeout: input.duration({ min: 1_000, max: 24 * 3_600_000 }),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;
