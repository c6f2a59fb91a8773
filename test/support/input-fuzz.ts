// Generated bad input for every action, shared by the in-process fuzz (test/unit/inputs-fuzz.test.ts)
// and the process-level one (test/unit/inputs-fuzz-process.test.ts): values drawn from each
// action.yml and typed input spec that no parser of that type accepts, and hostile filler.
import fc from 'fast-check';
import type { ActionMeta, InputSpec } from '@kubeline/runtime';
import * as buildImage from '../../actions/build-image/src/inputs.js';
import * as canaryPromote from '../../actions/canary-promote/src/inputs.js';
import * as cosignSign from '../../actions/cosign-sign/src/inputs.js';
import * as gitopsPromote from '../../actions/gitops-promote/src/inputs.js';
import * as helmDeploy from '../../actions/helm-deploy/src/inputs.js';
import * as rollback from '../../actions/rollback/src/inputs.js';
import * as setupTools from '../../actions/setup-tools/src/inputs.js';
import * as trivyScan from '../../actions/trivy-scan/src/inputs.js';
import { action as buildImageMeta } from '../../actions/build-image/src/action.generated.js';
import { action as canaryPromoteMeta } from '../../actions/canary-promote/src/action.generated.js';
import { action as cosignSignMeta } from '../../actions/cosign-sign/src/action.generated.js';
import { action as gitopsPromoteMeta } from '../../actions/gitops-promote/src/action.generated.js';
import { action as helmDeployMeta } from '../../actions/helm-deploy/src/action.generated.js';
import { action as rollbackMeta } from '../../actions/rollback/src/action.generated.js';
import { action as setupToolsMeta } from '../../actions/setup-tools/src/action.generated.js';
import { action as trivyScanMeta } from '../../actions/trivy-scan/src/action.generated.js';

export const ACTIONS: Array<[ActionMeta, InputSpec<string>]> = [
  [buildImageMeta, buildImage.inputSpec],
  [canaryPromoteMeta, canaryPromote.inputSpec],
  [cosignSignMeta, cosignSign.inputSpec],
  [gitopsPromoteMeta, gitopsPromote.inputSpec],
  [helmDeployMeta, helmDeploy.inputSpec],
  [rollbackMeta, rollback.inputSpec],
  [setupToolsMeta, setupTools.inputSpec],
  [trivyScanMeta, trivyScan.inputSpec],
];

/** Values no parser of this type accepts; `undefined` for free text (only line breaks are wrong). */
export function invalidFor(type: string): fc.Arbitrary<string> | undefined {
  const huge = fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n));
  const lineBreak = fc.tuple(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('\n', '\r', '\0'),
    fc.string({ maxLength: 20 }),
  );
  const broken = lineBreak.map(([a, b, c]) => `${a || 'a'}${b}${c || 'b'}`);
  if (type === 'boolean')
    return fc.oneof(fc.constantFrom('maybe', 'True!', '2', 'ja', '$(true)', 'true\nfalse'), huge);
  if (type === 'number') return fc.oneof(fc.constantFrom('abc', '1e999', 'NaN', '0x', '1.2.3', '--1'), huge);
  if (type.startsWith('duration'))
    return fc.oneof(
      fc.constantFrom('5 minutes', '-5m', 'ms', '1y', '∞', '5m; rm -rf /', '9'.repeat(400) + 'h'),
      huge,
    );
  if (type.includes(' | '))
    return fc.oneof(
      fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((s) => !type.split(' | ').includes(s.trim()) && s.trim() !== ''),
      fc.constantFrom('$(id)', '`id`', '../../etc/passwd', 'A'.repeat(5000)),
    );
  if (type === 'URL')
    return fc.oneof(
      fc.constantFrom('not a url', 'ftp://x', 'file:///etc/passwd', 'javascript:alert(1)'),
      broken,
    );
  if (type === 'JSON') return fc.constantFrom('{', '{"a":', "{'a':1}", '[1,2', 'nul');
  if (type === 'string') return broken;
  return undefined;
}

/** Every input that has an invalid value, with the arbitrary producing one. */
export function targets(spec: InputSpec<string>): Array<[string, fc.Arbitrary<string>]> {
  return Object.entries(spec)
    .map(([name, p]) => [name, invalidFor(p.type)] as const)
    .filter((t): t is readonly [string, fc.Arbitrary<string>] => t[1] !== undefined)
    .map(([n, a]) => [n, a]);
}

/** Hostile but well-formed filler for every other input: must not change which input is blamed. */
export const filler = fc.constantFrom(
  '',
  '../../../../etc/passwd',
  '$(touch /tmp/kubeline-pwned)',
  '; rm -rf /',
  '`id`',
  'a: &a [*a, *a, *a]',
);
