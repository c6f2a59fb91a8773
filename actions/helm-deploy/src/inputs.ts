import { input, type InputSpec, type InputValues } from '@kubeline/runtime';
import type { InputName } from './action.generated.js';

export const inputSpec = {
  release: input.string({
    pattern: /^(?=.{1,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    allowed:
      'lowercase letters, digits and dashes, starting and ending with a letter or digit, at most 53 characters',
  }),
  chart: input.string(),
  'chart-version': input.string(),
  repo: input.url(),
  'chart-username': input.string(),
  'chart-password': input.secret(),
  'plain-http': input.boolean(),
  namespace: input.string({
    pattern: /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    allowed: 'a namespace name: lowercase letters, digits and dashes, at most 63 characters',
  }),
  'create-namespace': input.boolean(),
  'values-files': input.list(),
  values: input.multiline(),
  set: input.multiline(),
  'set-string': input.multiline(),
  'set-file': input.multiline(),
  // Multi-line: build-image's image-json may be pasted pretty-printed.
  image: input.multiline(),
  'image-values-path': input.string(),
  'require-signature': input.boolean(),
  'signature-key': input.multiline(),
  'certificate-identity': input.string(),
  'certificate-identity-regexp': input.string(),
  'certificate-oidc-issuer': input.string(),
  'certificate-oidc-issuer-regexp': input.string(),
  'signature-transparency-log': input.boolean(),
  'registry-username': input.string(),
  'registry-password': input.secret(),
  'registry-ca': input.multiline(),
  'require-scan': input.string(),
  'scan-fail-on': input.list(),
  lint: input.boolean(),
  'dry-run': input.boolean(),
  wait: input.boolean(),
  'rollback-on-failure': input.boolean(),
  timeout: input.duration({ min: 1000 }),
  force: input.boolean(),
  'server-side': input.enum(['auto', 'true', 'false'] as const),
  'pending-grace': input.duration({ min: 0 }),
  'lock-timeout': input.duration({ min: 0 }),
  kubeconfig: input.multiline(),
  context: input.string(),
  'helm-version': input.string(),
  environment: input.string(),
  'environment-url': input.url(),
  'github-token': input.secret(),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;
