// Argo CD Applications: helm parameters and kustomize images upserted per source.
import { describe, expect, test } from '@jest/globals';
import { parseImageValuesPath } from '@kubeline/image';
import { argoImageName } from '../src/argocd.js';
import { editFile } from '../src/edit.js';
import { DIGEST, OLD_DIGEST, contract, failure, lineDiff } from './line-diff.js';

const helmApp = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://charts.acme.dev
    chart: web
    targetRevision: 1.2.3
    helm:
      # overrides every values file
      parameters:
        - name: image.digest
          value: ${OLD_DIGEST}
        - name: replicaCount
          value: "3"
  destination: {server: https://kubernetes.default.svc, namespace: web}
`;

const mappings = parseImageValuesPath('image.repository=repository, image.digest=digest');

describe('argocd helm source', () => {
  test('replaces an existing parameter in place and appends a missing one', () => {
    const out = editFile(helmApp, 'apps/web.yaml', { kind: 'auto', values: mappings }, contract());
    expect(out.kind).toBe('argocd');
    expect(lineDiff(helmApp, out.text)).toEqual({
      removed: [`          value: ${OLD_DIGEST}`],
      added: [
        `          value: ${DIGEST}`,
        '        - name: image.repository',
        '          value: ghcr.io/acme/web',
      ],
    });
    expect(out.changes.map((c) => c.path)).toEqual([
      'Application/web spec.source.helm.parameters[name=image.repository].value',
      'Application/web spec.source.helm.parameters[name=image.digest].value',
    ]);
    const again = editFile(out.text, 'apps/web.yaml', { kind: 'argocd', values: mappings }, contract());
    expect(again.changes).toEqual([]);
    expect(again.text).toBe(out.text);
  });

  test('a chart source without helm: gets helm.parameters; a flow `helm: {}` is rewritten on its line', () => {
    const text =
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec:\n  sources:\n    - chart: web\n      helm: {}\n    - repoURL: https://git/acme\n      ref: values\n';
    const out = editFile(
      text,
      'web.yaml',
      { kind: 'argocd', values: parseImageValuesPath('image=ref') },
      contract(),
    );
    expect(lineDiff(text, out.text)).toEqual({
      removed: ['      helm: {}'],
      added: [`      helm: { parameters: [ { name: image, value: ghcr.io/acme/web@${DIGEST} } ] }`],
    });
  });
});

describe('argocd kustomize source', () => {
  const app = (images: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    path: overlays/prod\n    kustomize:\n      images:\n${images}`;

  test.each([
    ['ghcr.io/acme/web'],
    ['ghcr.io/acme/web:v1'],
    [`ghcr.io/acme/web@${OLD_DIGEST}`],
    ['ghcr.io/acme/web=ghcr.io/other/web:v1'],
  ])('replaces the entry %s in place', (entry) => {
    const text = app(`        - ${entry}\n        - redis:7\n`);
    const out = editFile(text, 'web.yaml', { kind: 'argocd' }, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: [`        - ${entry}`],
      added: [`        - ghcr.io/acme/web@${DIGEST}`],
    });
  });

  test('appends name=newName@digest when the file names the image differently', () => {
    const text = app('        - redis:7\n');
    const out = editFile(text, 'web.yaml', { kind: 'argocd', image: 'web' }, contract());
    expect(lineDiff(text, out.text).added).toEqual([`        - web=ghcr.io/acme/web@${DIGEST}`]);
    expect(out.changes).toEqual([
      {
        file: 'web.yaml',
        path: 'Application/web spec.source.kustomize.images[web]',
        new: `web=ghcr.io/acme/web@${DIGEST}`,
      },
    ]);
  });

  test('argoImageName reads every entry form', () => {
    expect(['a/b', 'a/b:1', `a/b@${DIGEST}`, 'a/b=c/d:1', 'localhost:5000/b:1'].map(argoImageName)).toEqual([
      'a/b',
      'a/b',
      'a/b',
      'a/b',
      'localhost:5000/b',
    ]);
  });

  test('refuses an Application with neither helm nor kustomize source', () => {
    const text =
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    path: manifests\n';
    expect(failure(() => editFile(text, 'web.yaml', { kind: 'argocd' }, contract()))).toBe(
      'UserError: web.yaml: Application/web has no helm or kustomize source: add helm: {} or kustomize: {} to the source that renders the image',
    );
  });
});
