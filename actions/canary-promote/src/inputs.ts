import { imageInput } from '@kubeline/image';
import { input, type InputParser, type InputSpec, type InputValues } from '@kubeline/runtime';
import type { InputName } from './action.generated.js';

const K8S_NAME = {
  pattern: /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  allowed: 'a Kubernetes name: lowercase letters, digits and dashes, at most 63 characters',
};

/** `off` turns a built-in check off (an empty value would take the default). */
const orOff = <T>(p: InputParser<T>): InputParser<T | undefined> => ({
  type: `${p.type}, or off`,
  parse: (raw, name) => (raw.trim() === 'off' ? undefined : p.parse(raw, name)),
});

export const inputSpec = {
  deployment: input.string(K8S_NAME),
  image: imageInput,
  container: input.string(K8S_NAME),
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
  namespace: input.string(K8S_NAME),
  kubeconfig: input.multiline(),
  context: input.string(),
  router: input.enum(['gateway-api', 'istio', 'smi', 'nginx', 'pods'] as const),
  route: input.string(K8S_NAME),
  'match-headers': input.list(),
  'match-cookies': input.list(),
  service: input.string(K8S_NAME),
  'canary-service': input.string(K8S_NAME),
  mode: input.enum(['canary', 'blue-green'] as const),
  'rollback-window': input.duration({ min: 5_000, max: 7 * 24 * 3_600_000 }),
  steps: input.string(),
  'step-weight': input.number({ min: 1, max: 100, integer: true }),
  'max-weight': input.number({ min: 1, max: 100, integer: true }),
  interval: input.duration({ min: 5_000, max: 24 * 3_600_000 }),
  'sample-every': input.duration({ min: 1_000, max: 3_600_000 }),
  analysis: input.boolean(),
  'prometheus-url': input.url(),
  'prometheus-token': input.secret(),
  'metrics-provider': input.enum(['auto', 'traefik', 'istio', 'nginx', 'none'] as const),
  'success-rate-min': orOff(input.number({ min: 0, max: 100 })),
  'latency-p99-max': orOff(input.duration({ min: 1 })),
  // YAML, parsed with the rest of the plan (before anything is touched): the parser is not loaded for a typo.
  metrics: input.multiline(),
  'min-requests': input.number({ min: 0, max: 1e9, integer: true }),
  'on-no-data': input.enum(['inconclusive', 'fail', 'pass'] as const),
  'on-inconclusive': input.enum(['fail', 'promote', 'wait-approval'] as const),
  'failure-limit': input.number({ min: 0, max: 1000, integer: true }),
  'inconclusive-limit': input.number({ min: 0, max: 1000, integer: true }),
  'error-limit': input.number({ min: 0, max: 1000, integer: true }),
  webhooks: input.multiline(),
  'on-stale': input.enum(['revert', 'resume'] as const),
  'lease-duration': input.duration({ min: 5_000, max: 3_600_000 }),
  'ready-timeout': input.duration({ min: 1_000 }),
  'fail-fast-restarts': input.number({ min: 1, max: 1000, integer: true }),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;
