// Hostile and broken inputs: refused in one line naming the file, never a stack or a hang.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import { detectKind, editFile } from '../src/edit.js';
import { contract, failure } from './line-diff.js';

const values = { kind: 'helm-values' as const };

describe('refused inputs', () => {
  test('an alias bomb is refused before it expands', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const me = String.fromCharCode(97 + i);
      levels.push(`${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = `${levels.join('\n')}\n`;
    const started = Date.now();
    expect(failure(() => editFile(bomb, 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: too many YAML alias expansions (more than 100): refusing a possible alias bomb',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a file over 4 MiB is refused without parsing', () => {
    const big = `a: "${'x'.repeat(5 * 1024 * 1024)}"\n`;
    expect(failure(() => editFile(big, 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: 5242886 bytes is more than the 4194304 a config file may have',
    );
  });

  test('NUL bytes are refused', () => {
    expect(failure(() => editFile('a: 1\0\n', 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: contains a NUL byte, it is not a YAML text file',
    );
  });

  test('a parse error is one line naming file and line, without the offending text', () => {
    const message = failure(() => editFile('a: 1\nb: "secret-token\n', 'values.yaml', values, contract()));
    expect(message).toBe('UserError: values.yaml: invalid YAML at line 2: a quoted value is never closed');
  });

  test('duplicate keys are refused', () => {
    expect(
      failure(() => editFile('image:\n  tag: a\n  tag: b\n', 'values.yaml', values, contract())),
    ).toMatch(/^UserError: values\.yaml: invalid YAML at line 3: Map keys must be unique/);
  });

  test('a document that is not a map is refused', () => {
    expect(failure(() => editFile('- a\n- b\n', 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: document 1 is not a map of values',
    );
    expect(failure(() => editFile('- a\n', 'kustomization.yaml', { kind: 'kustomize' }, contract()))).toBe(
      'UserError: kustomization.yaml: a kustomization must be a map',
    );
  });

  test('errors are UserErrors with one line', () => {
    let caught: unknown;
    try {
      editFile('x: [\n', 'v.yaml', values, contract());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('detectKind', () => {
  test.each([
    ['overlays/prod/kustomization.yaml', 'resources: []\n', 'kustomize'],
    ['base/Kustomization', 'resources: []\n', 'kustomize'],
    ['k.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n', 'kustomize'],
    ['values-prod.yaml', 'image: {}\n', 'helm-values'],
    ['r.yaml', 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n', 'helm-release'],
    ['a.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\n', 'argocd'],
    ['d.yaml', 'apiVersion: apps/v1\nkind: Deployment\n---\napiVersion: v1\nkind: Service\n', 'manifests'],
  ])('%s is %s', (file, text, kind) => {
    expect(detectKind(text, file)).toBe(kind);
  });

  test('ambiguous or unknown files are refused, listing the kinds', () => {
    const mixed =
      'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n---\napiVersion: apps/v1\nkind: Deployment\n';
    expect(failure(() => detectKind(mixed, 'x.yaml'))).toBe(
      'UserError: x.yaml: holds more than one kind of file (helm-release, manifests): split it, or set kind',
    );
    expect(failure(() => detectKind('a: 1\n', 'config.yaml'))).toBe(
      'UserError: config.yaml: cannot tell what it is (no kustomization, values file, HelmRelease, Application or workload): set kind to one of kustomize, helm-values, helm-release, argocd, manifests, or image-policy for values carrying Flux $imagepolicy markers',
    );
  });
});
