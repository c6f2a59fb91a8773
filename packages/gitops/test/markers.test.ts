// Flux $imagepolicy setter markers: only the marked values change, each to its part of the image.
import { describe, expect, test } from '@jest/globals';
import { editFile } from '../src/edit.js';
import { placementOf } from '../src/git-inputs.js';
import { DIGEST, contract, failure, lineDiff } from './line-diff.js';

const markers = (policy = 'flux-system:web') => ({ kind: 'markers' as const, imagePolicy: policy });

const release = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  values:
    image:
      repository: ghcr.io/acme/web # {"$imagepolicy": "flux-system:web:name"}
      tag: "v1" # {"$imagepolicy": "flux-system:web:tag"}
      digest:   # {"$imagepolicy": "flux-system:web:digest"}
    sidecar:
      image: ghcr.io/acme/proxy:1.0 # {"$imagepolicy": "flux-system:proxy"}
`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/web:v1 # {"$imagepolicy": "flux-system:web"}
        - name: proxy
          image: ghcr.io/acme/proxy:1.0
`;

describe('markers', () => {
  test('sets each marked part (name, tag, digest) and nothing else, keeping the markers', () => {
    const out = editFile(release, 'apps/web/release.yaml', markers(), contract());
    expect(lineDiff(release, out.text)).toEqual({
      removed: [
        '      tag: "v1" # {"$imagepolicy": "flux-system:web:tag"}',
        '      digest:   # {"$imagepolicy": "flux-system:web:digest"}',
      ],
      added: [
        `      tag: "v2@${DIGEST}" # {"$imagepolicy": "flux-system:web:tag"}`,
        `      digest:   ${DIGEST} # {"$imagepolicy": "flux-system:web:digest"}`,
      ],
    });
    expect(out.kind).toBe('markers');
    expect(out.changes).toEqual([
      { file: 'apps/web/release.yaml', path: 'line 9 spec.values.image.tag', old: 'v1', new: `v2@${DIGEST}` },
      { file: 'apps/web/release.yaml', path: 'line 10 spec.values.image.digest', new: DIGEST },
    ]);
    const again = editFile(out.text, 'apps/web/release.yaml', markers(), contract());
    expect(again.changes).toEqual([]);
    expect(again.text).toBe(out.text);
  });

  test('a marker for the policy alone takes the whole reference by digest, in a list too', () => {
    const out = editFile(deployment, 'deploy.yaml', markers(), contract());
    expect(lineDiff(deployment, out.text)).toEqual({
      removed: ['          image: ghcr.io/acme/web:v1 # {"$imagepolicy": "flux-system:web"}'],
      added: [`          image: ghcr.io/acme/web@${DIGEST} # {"$imagepolicy": "flux-system:web"}`],
    });
    expect(out.changes[0]!.path).toBe('line 10 spec.template.spec.containers[0].image');
  });

  test('auto means markers when a policy is named, even in a file of another kind', () => {
    const out = editFile(
      deployment,
      'deploy.yaml',
      { kind: 'auto', imagePolicy: 'flux-system:web' },
      contract(),
    );
    expect(out.kind).toBe('markers');
    expect(out.changes).toHaveLength(1);
  });

  test('a marker on a line of its own marks nothing', () => {
    const text = 'image:\n  # {"$imagepolicy": "flux-system:web"}\n  tag: v1\n';
    expect(failure(() => editFile(text, 'values.yaml', markers(), contract()))).toBe(
      'UserError: values.yaml: no value is marked for image policy flux-system:web (the file has no $imagepolicy markers)',
    );
  });

  test('no marker for the policy names the policies the file does mark', () => {
    expect(failure(() => editFile(release, 'r.yaml', markers('flux-system:api'), contract()))).toBe(
      'UserError: r.yaml: no value is marked for image policy flux-system:api (the file marks: flux-system:web, flux-system:proxy)',
    );
  });

  test('an unknown suffix and a malformed marker are one line naming the line', () => {
    const suffix = 'image:\n  tag: v1 # {"$imagepolicy": "flux-system:web:version"}\n';
    expect(failure(() => editFile(suffix, 'v.yaml', markers(), contract()))).toBe(
      'UserError: v.yaml: line 2: $imagepolicy marker flux-system:web:version ends in an unknown suffix ":version"; allowed: :name, :tag, :digest or none',
    );
    const proto = 'image:\n  tag: v1 # {"$imagepolicy": "flux-system:web:constructor"}\n';
    expect(failure(() => editFile(proto, 'v.yaml', markers(), contract()))).toMatch(
      /^UserError: v\.yaml: line 2: .* unknown suffix ":constructor"/,
    );
    for (const bad of ['{"$imagepolicy": flux-system:web}', '{"$imagepolicy": 3}', '{"$imagepolicy": "web"}'])
      expect(failure(() => editFile(`a: 1\nimage: x # ${bad}\n`, 'v.yaml', markers(), contract()))).toBe(
        'UserError: v.yaml: line 2: malformed $imagepolicy marker: expected # {"$imagepolicy": "<namespace>:<name>"}, optionally ending in :name, :tag or :digest',
      );
  });

  test('image-policy and kind must agree, and markers needs a policy', () => {
    const base = { 'values-path': '', 'image-name': '', container: '' };
    expect(
      failure(() => placementOf({ ...base, kind: 'kustomize', 'image-policy': 'flux-system:web' })),
    ).toBe(
      'UserError: image-policy flux-system:web is for values carrying Flux $imagepolicy markers: set kind to markers or auto, not kustomize',
    );
    expect(failure(() => placementOf({ ...base, kind: 'markers', 'image-policy': '' }))).toBe(
      'InputError: input "image-policy": "" is not valid; kind markers needs the Flux ImagePolicy whose markers take the image, as <namespace>:<name>',
    );
    expect(placementOf({ ...base, kind: 'auto', 'image-policy': 'flux-system:web' }).imagePolicy).toBe(
      'flux-system:web',
    );
  });
});
