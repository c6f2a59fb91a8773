// Source shapes that make splicing tricky: each edit must still touch only its own lines.
import { describe, expect, test } from '@jest/globals';
import { parseImageValuesPath } from '@kubeline/image';
import type { Scalar } from 'yaml';
import { editFile } from '../src/edit.js';
import { SourceEdit, parseYaml } from '../src/yaml-source.js';
import { DIGEST, OLD_DIGEST, contract, lineDiff } from './line-diff.js';

const digestOnly = { kind: 'helm-values' as const, values: parseImageValuesPath('image.digest=digest') };

describe('splicing', () => {
  test('an anchored, tagged scalar keeps its anchor and tag', () => {
    const text = `image:\n  digest: &d !!str ${OLD_DIGEST}\nother: *d\n`;
    const out = editFile(text, 'values.yaml', digestOnly, contract());
    expect(out.text).toBe(`image:\n  digest: &d !!str ${DIGEST}\nother: *d\n`);
  });

  test('a block scalar becomes a plain one on its lines only', () => {
    const text = `image:\n  digest: |\n    ${OLD_DIGEST}\nport: 80\n`;
    const out = editFile(text, 'values.yaml', digestOnly, contract());
    expect(out.text).toBe(`image:\n  digest: ${DIGEST}\nport: 80\n`);
  });

  test('a directive, document markers and a file without a final newline', () => {
    const text = `%YAML 1.2\n---\nimage:\n  repository: x # keep\n...\n---\nimage: {}`;
    const out = editFile(text, 'values.yaml', digestOnly, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: ['image: {}'],
      added: [`  digest: ${DIGEST}`, `image: { digest: ${DIGEST} }`],
    });
  });

  test('an item appended after a last item with nested maps, comments and blank lines', () => {
    const text = `images:\n- name: redis\n  newTag: "7"  # cache\n\n# trailing comment\nresources: []\n`;
    const out = editFile(text, 'kustomization.yaml', { kind: 'kustomize' }, contract());
    expect(lineDiff(text, out.text)).toEqual({
      removed: [],
      added: ['- name: ghcr.io/acme/web', `  digest: ${DIGEST}`],
    });
    expect(out.text.split('\n').slice(0, 5)).toEqual([
      'images:',
      '- name: redis',
      '  newTag: "7"  # cache',
      '- name: ghcr.io/acme/web',
      `  digest: ${DIGEST}`,
    ]);
  });

  test('four-space indentation is followed for new nested maps', () => {
    const text = 'app:\n    replicas: 2\n    probe:\n        path: /\n';
    const mappings = parseImageValuesPath('app.image.ref=ref');
    const out = editFile(text, 'values.yaml', { kind: 'helm-values', values: mappings }, contract());
    expect(lineDiff(text, out.text).added).toEqual(['    image:', `        ref: ghcr.io/acme/web@${DIGEST}`]);
  });

  test('a value that needs quoting is quoted', () => {
    const text = 'image:\n  tag: v1\n';
    const c = { ...contract(), tags: ['ghcr.io/acme/web:yes'] };
    const mappings = parseImageValuesPath('image.tag=tag, image.n=name');
    const out = editFile(text, 'values.yaml', { kind: 'helm-values', values: mappings }, c);
    expect(out.text).toBe(`image:\n  tag: yes@${DIGEST}\n  n: acme/web\n`);
  });
});

describe('the read-back check', () => {
  test('a null inside a flow map is filled by rewriting that map', () => {
    const text = 'app: {image: null, port: 80} # keep\n';
    const mappings = parseImageValuesPath('app.image.digest=digest');
    const out = editFile(text, 'values.yaml', { kind: 'helm-values', values: mappings }, contract());
    expect(out.text).toBe(`app: { image: { digest: ${DIGEST} }, port: 80 } # keep\n`);
  });

  test('text that would not read back as the edited documents is never returned', () => {
    const text = 'image:\n  tag: v1\n';
    const [doc] = parseYaml(text, 'values.yaml');
    const edit = new SourceEdit(text, 'values.yaml', [doc!]);
    const tag = doc!.getIn(['image', 'tag'], true) as Scalar;
    edit.setScalar(tag, 'v2');
    tag.value = 'v3'; // the document now says something the text does not
    expect(() => edit.result()).toThrow('values.yaml: the edited text does not read back as intended');
  });
});
