// The input parsers every Git-writing step shares (gitops-promote, rollback's gitops kind): one
// definition of what a branch, container or environment name may be. A leaf module importing only
// the runtime, reached as `@kubeline/gitops/input-spec`: rollback reads its inputs at cold start for
// every kind and must not load the Git and YAML code to do it.
import { input } from '@kubeline/runtime';
import { FILE_KINDS } from './placement.js';

/** A Flux ImagePolicy as `<namespace>:<name>`: the input's form and a $imagepolicy marker's. */
export const IMAGE_POLICY =
  /^(?=[^:]{1,63}:)[a-z0-9]([-a-z0-9]*[a-z0-9])?:(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** What the files to edit are: one of the editors, or `auto` (each file by its name and content). */
export const fileKind = () => input.enum(['auto', ...FILE_KINDS] as const);

export const branchName = () =>
  input.string({
    pattern: /^(?!-|\/|.*(\/\/|\.\.|@\{|\/\.|\.lock$|\/$))[A-Za-z0-9._/-]{1,200}$/,
    allowed: 'a branch name: letters, digits, . _ - and /, no "..", not starting with - or /',
  });

/** Where the repository is, how git gets in, which files and containers take the image, who commits. */
export const gitWriteInputs = {
  repository: input.string(),
  branch: branchName(),
  path: input.list(),
  'values-path': input.string(),
  'image-name': input.string(),
  'image-policy': input.string({
    pattern: IMAGE_POLICY,
    allowed: 'a Flux ImagePolicy as <namespace>:<name>, e.g. flux-system:web',
  }),
  container: input.string({
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    allowed: 'a container name: lowercase letters, digits and dashes',
  }),
  environment: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    allowed: 'letters, digits, . _ and -, at most 63 characters',
  }),
  token: input.secret(),
  username: input.string(),
  'ssh-key': input.secret(),
  'known-hosts': input.multiline(),
  'author-name': input.string(),
  'author-email': input.string({ pattern: /^[^\s<>@]+@[^\s<>@]+$/, allowed: 'an email address' }),
};
