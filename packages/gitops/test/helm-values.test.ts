// Helm values files and Flux HelmReleases: the mapped paths set, everything else left as written.
import { describe, expect, test } from '@jest/globals';
import { parseImageValuesPath } from '@kubeline/image';
import { editFile } from '../src/edit.js';
import { DIGEST, OLD_DIGEST, contract, failure, lineDiff } from './line-diff.js';

const values = { kind: 'helm-values' as const };

const valuesFile = `# Values for production.
replicaCount: 3

image:
  repository: ghcr.io/acme/web   # the app
  # pinned on promotion
  tag: 'v1'
  pullPolicy: IfNotPresent

resources:
    limits: {cpu: 500m}
`;

describe('helm-values', () => {
  test('sets repository, digest and tag (default `image`), changing only the tag line and adding digest', () => {
    const out = editFile(valuesFile, 'values-prod.yaml', values, contract());
    expect(lineDiff(valuesFile, out.text)).toEqual({
      removed: ["  tag: 'v1'"],
      added: [`  tag: 'v2@${DIGEST}'`, `  digest: ${DIGEST}`],
    });
    expect(out.changes).toEqual([
      { file: 'values-prod.yaml', path: 'image.tag', old: 'v1', new: `v2@${DIGEST}` },
      { file: 'values-prod.yaml', path: 'image.digest', new: DIGEST },
    ]);
    const again = editFile(out.text, 'values-prod.yaml', values, contract());
    expect(again.changes).toEqual([]);
    expect(again.text).toBe(out.text);
  });

  test('creates nested maps for path=part mappings, using the file indentation', () => {
    const mappings = parseImageValuesPath('app.web.image=ref, app.web.sha=digest');
    const out = editFile(valuesFile, 'values.yaml', { kind: 'helm-values', values: mappings }, contract());
    expect(lineDiff(valuesFile, out.text)).toEqual({
      removed: [],
      added: ['app:', '  web:', `    image: ghcr.io/acme/web@${DIGEST}`, `    sha: ${DIGEST}`],
    });
  });

  test('fills a key that holds null', () => {
    const tilde = editFile(
      'image: ~ # later\n',
      'values.yaml',
      { kind: 'helm-values', values: parseImageValuesPath('image.digest=digest') },
      contract(),
    );
    expect(tilde.text).toBe(`image: # later\n  digest: ${DIGEST}\n`);
    const text = 'image:\nservice:\n  port: 80\n';
    const out = editFile(
      text,
      'values.yaml',
      { kind: 'helm-values', values: parseImageValuesPath('image=ref') },
      contract(),
    );
    expect(out.text).toBe(`image: ghcr.io/acme/web@${DIGEST}\nservice:\n  port: 80\n`);
    const nested = editFile(text, 'values.yaml', values, contract());
    expect(lineDiff(text, nested.text)).toEqual({
      removed: [],
      added: ['  repository: ghcr.io/acme/web', `  digest: ${DIGEST}`, `  tag: v2@${DIGEST}`],
    });
  });

  test('an empty values file gets the values', () => {
    const out = editFile('# nothing yet\n', 'values.yaml', values, contract());
    expect(out.text).toBe(
      `# nothing yet\nimage:\n  repository: ghcr.io/acme/web\n  digest: ${DIGEST}\n  tag: v2@${DIGEST}\n`,
    );
  });

  test('refuses a path that crosses a value, naming the key', () => {
    const text = 'image: ghcr.io/acme/web:v1\n';
    expect(failure(() => editFile(text, 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: image is not a map (it holds the value "ghcr.io/acme/web:v1"), so image.repository cannot be set: check values-path',
    );
    expect(failure(() => editFile('image:\n  tag: {a: 1}\n', 'values.yaml', values, contract()))).toBe(
      'UserError: values.yaml: image.tag is a map or list, not a value: check values-path',
    );
  });

  test('refuses to shadow a merge key', () => {
    const text = 'base: &b\n  image: {repository: x}\nweb:\n  <<: *b\n  port: 1\n';
    const mappings = parseImageValuesPath('web.image=ref');
    expect(
      failure(() => editFile(text, 'values.yaml', { kind: 'helm-values', values: mappings }, contract())),
    ).toMatch(/web\.image may be inherited through a merge key/);
  });

  test('every document of a multi-document values file is edited', () => {
    const text = `image:\n  digest: ${OLD_DIGEST}\n---\n# second\nimage:\n  digest: ${OLD_DIGEST}\n`;
    const out = editFile(
      text,
      'values.yaml',
      { kind: 'helm-values', values: parseImageValuesPath('image.digest=digest') },
      contract(),
    );
    expect(out.text).toBe(text.replaceAll(OLD_DIGEST, DIGEST));
    expect(out.changes.map((c) => c.path)).toEqual(['document 1: image.digest', 'document 2: image.digest']);
  });
});

const release = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: acme
spec:
  url: https://charts.acme.dev
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  chart:
    spec: {chart: web, sourceRef: {kind: HelmRepository, name: acme}}
  values:
    image:
      repository: ghcr.io/acme/web
      digest: "${OLD_DIGEST}"
`;

describe('helm-release', () => {
  test('edits spec.values of the HelmRelease, not the other documents', () => {
    const mappings = parseImageValuesPath('image.repository=repository, image.digest=digest');
    const out = editFile(release, 'apps/web.yaml', { kind: 'auto', values: mappings }, contract());
    expect(out.kind).toBe('helm-release');
    expect(lineDiff(release, out.text)).toEqual({
      removed: [`      digest: "${OLD_DIGEST}"`],
      added: [`      digest: "${DIGEST}"`],
    });
    expect(out.changes).toEqual([
      {
        file: 'apps/web.yaml',
        path: 'HelmRelease/web spec.values.image.digest',
        old: OLD_DIGEST,
        new: DIGEST,
      },
    ]);
  });

  test('creates spec.values when missing', () => {
    const text =
      'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 5m\n';
    const mappings = parseImageValuesPath('image=ref');
    const out = editFile(text, 'web.yaml', { kind: 'helm-release', values: mappings }, contract());
    expect(out.text).toBe(`${text}  values:\n    image: ghcr.io/acme/web@${DIGEST}\n`);
  });

  test('refuses a file with no HelmRelease', () => {
    expect(failure(() => editFile('a: 1\n', 'web.yaml', { kind: 'helm-release' }, contract()))).toBe(
      'UserError: web.yaml: no Flux HelmRelease (helm.toolkit.fluxcd.io) in it',
    );
  });
});
