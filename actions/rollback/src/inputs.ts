import { InputError, input, type InputSpec, type InputValues } from '@kubeline/runtime';
import { fileKind, gitWriteInputs } from '@kubeline/gitops/input-spec';
import { DIGEST } from '@kubeline/image/reference';
import type { InputName } from './action.generated.js';

export const inputSpec = {
  release: input.string({
    pattern: /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    allowed: 'a release or Deployment name: lowercase letters, digits, dashes and dots',
  }),
  to: input.string({
    // the image package's one digest pattern, without its anchors
    pattern: new RegExp(`^(previous|last-good|[1-9][0-9]*|${DIGEST.source.slice(1, -1)})$`),
    allowed:
      'allowed: previous, last-good, a revision number, or (kind: gitops) an image digest sha256:<64 hex>',
  }),
  kind: input.enum(['helm', 'deployment', 'gitops'] as const),
  namespace: input.string({
    pattern: /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    allowed: 'a namespace name: lowercase letters, digits and dashes, at most 63 characters',
  }),
  wait: input.boolean(),
  timeout: input.duration({ min: 1000 }),
  kubeconfig: input.multiline(),
  context: input.string(),
  'helm-version': input.string(),
  ...gitWriteInputs,
  'file-kind': fileKind(),
  'wait-for': input.list(),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;

export type Target = { kind: 'previous' } | { kind: 'last-good' } | { kind: 'revision'; revision: number };

/** Where a Helm release or a Deployment goes back to; an image digest is kind: gitops's alone. */
export function parseTarget(to: string): Target {
  if (to === 'previous' || to === 'last-good') return { kind: to };
  if (DIGEST.test(to))
    throw new InputError(
      'to',
      to,
      'an image digest is for kind: gitops; allowed here: previous, last-good or a revision number',
    );
  return { kind: 'revision', revision: Number(to) };
}
