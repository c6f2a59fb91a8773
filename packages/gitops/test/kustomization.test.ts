// A kustomization's images: entry, edited in place.
import { describe, expect, test } from '@jest/globals';
import { editFile } from '../src/edit.js';
import { DIGEST, OLD_DIGEST, contract, failure, lineDiff } from './line-diff.js';

const kustomize = { kind: 'kustomize' as const };

const overlay = `# Production overlay: owned by the platform team.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

resources:
  - ../../base   # the shared base

images:
  - name: ghcr.io/acme/web
    newTag: "v1"   # replaced by a digest on promotion
  - name: redis
    newTag: '7.2'
`;

describe('kustomize', () => {
  test('sets the digest and removes newTag, touching only that line', () => {
    const out = editFile(overlay, 'k/kustomization.yaml', kustomize, contract());
    expect(lineDiff(overlay, out.text)).toEqual({
      removed: ['    newTag: "v1"   # replaced by a digest on promotion'],
      added: [`    digest: ${DIGEST}`],
    });
    expect(out.changes).toEqual([
      {
        file: 'k/kustomization.yaml',
        path: 'images[name=ghcr.io/acme/web].newTag',
        old: 'v1',
        new: '',
        removed: true,
      },
      { file: 'k/kustomization.yaml', path: 'images[name=ghcr.io/acme/web].digest', new: DIGEST },
    ]);
    expect(out.kind).toBe('kustomize');
  });

  test('is idempotent: a second run changes nothing and returns the same text', () => {
    const once = editFile(overlay, 'kustomization.yaml', kustomize, contract()).text;
    const twice = editFile(once, 'kustomization.yaml', kustomize, contract());
    expect(twice.changes).toEqual([]);
    expect(twice.text).toBe(once);
  });

  test('replaces an older digest in place, keeping its quoting', () => {
    const text = `images:\n- name: ghcr.io/acme/web\n  digest: "${OLD_DIGEST}" # pinned\n`;
    const out = editFile(text, 'kustomization.yaml', kustomize, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: [`  digest: "${OLD_DIGEST}" # pinned`],
      added: [`  digest: "${DIGEST}" # pinned`],
    });
    expect(out.changes[0]).toMatchObject({ old: OLD_DIGEST, new: DIGEST });
  });

  test('sets newName when the file names the image differently, and appends a missing entry', () => {
    const text = `resources: [deploy.yaml]\nimages:\n  - name: redis\n    newTag: '7.2'\n`;
    const out = editFile(text, 'kustomization.yaml', { kind: 'kustomize', image: 'web' }, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: [],
      added: ['  - name: web', '    newName: ghcr.io/acme/web', `    digest: ${DIGEST}`],
    });
    expect(out.changes.map((c) => c.path)).toEqual(['images[name=web].newName', 'images[name=web].digest']);
  });

  test('creates images: when there is none', () => {
    const text = 'resources:\n  - deploy.yaml\n';
    const out = editFile(text, 'kustomization.yaml', kustomize, contract());
    expect(out.text).toBe(`${text}images:\n  - name: ghcr.io/acme/web\n    digest: ${DIGEST}\n`);
  });

  test('removes a stale newName when the contract has the entry name, and a newTag on the dash line', () => {
    const text = `images:\n- newTag: v1\n  name: ghcr.io/acme/web\n  newName: ghcr.io/old/web\n  digest: ${OLD_DIGEST}\n`;
    const out = editFile(text, 'kustomization.yaml', kustomize, contract());
    expect(out.text).toBe(`images:\n- name: ghcr.io/acme/web\n  digest: ${DIGEST}\n`);
    expect(out.changes.filter((c) => c.removed).map((c) => c.path)).toEqual([
      'images[name=ghcr.io/acme/web].newName',
      'images[name=ghcr.io/acme/web].newTag',
    ]);
  });

  test('keeps CRLF line endings', () => {
    const text = 'images:\r\n  - name: ghcr.io/acme/web\r\n    newTag: v1\r\n';
    const out = editFile(text, 'kustomization.yaml', kustomize, contract());
    expect(out.text).toBe(`images:\r\n  - name: ghcr.io/acme/web\r\n    digest: ${DIGEST}\r\n`);
  });

  test('a flow-style entry is rewritten in flow style, on its own line only', () => {
    const text = `# c\nimages:\n  - {name: ghcr.io/acme/web, newTag: v1}\n  - name: redis\n`;
    const out = editFile(text, 'kustomization.yaml', kustomize, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: ['  - {name: ghcr.io/acme/web, newTag: v1}'],
      added: [`  - { name: ghcr.io/acme/web, digest: ${DIGEST} }`],
    });
  });

  test('refuses a Flux Kustomization, naming it', () => {
    const flux =
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  path: ./apps\n';
    expect(failure(() => editFile(flux, 'clusters/prod/apps.yaml', kustomize, contract()))).toBe(
      'UserError: clusters/prod/apps.yaml: Kustomization/apps is a Flux Kustomization (kustomize.toolkit.fluxcd.io/v1), not a kustomization.yaml: edit the kustomization.yaml in its spec.path',
    );
    expect(failure(() => editFile(flux, 'apps.yaml', { kind: 'auto' }, contract()))).toMatch(
      /Flux Kustomization/,
    );
  });

  test('refuses images that is not a list', () => {
    expect(failure(() => editFile('images: web\n', 'kustomization.yaml', kustomize, contract()))).toBe(
      'UserError: kustomization.yaml: images must be a list',
    );
  });
});
