import { imageInput } from '@kubeline/image';
import { input, type InputSpec, type InputValues } from '@kubeline/runtime';
import { branchName, fileKind, gitWriteInputs } from '@kubeline/gitops/input-spec';
import type { InputName } from './action.generated.js';

export const inputSpec = {
  ...gitWriteInputs,
  image: imageInput,
  kind: fileKind(),
  mode: input.enum(['push', 'pull-request'] as const),
  'pull-request-branch': branchName(),
  'pull-request-labels': input.list(),
  'pull-request-reviewers': input.list(),
  'auto-merge': input.enum(['false', 'merge', 'squash', 'rebase'] as const),
  forge: input.enum(['auto', 'github', 'gitlab'] as const),
  'forge-api-url': input.url(),
  'forge-token': input.secret(),
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
