// Plain manifests: the containers running the image, by parsed reference.
import { describe, expect, test } from '@jest/globals';
import { editFile } from '../src/edit.js';
import { DIGEST, OLD_DIGEST, contract, failure, lineDiff } from './line-diff.js';

const manifests = { kind: 'manifests' as const };

const deployment = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/web:v1   # same image, runs migrations
      containers:
        - name: app
          image: "ghcr.io/acme/web:v1"
        - name: proxy
          image: envoyproxy/envoy:v1.30
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: ghcr.io/acme/web@${OLD_DIGEST}
`;

describe('manifests', () => {
  test('pins every container running the image, across documents and pod template kinds', () => {
    const out = editFile(deployment, 'deploy.yaml', { kind: 'auto' }, contract());
    expect(out.kind).toBe('manifests');
    expect(lineDiff(deployment, out.text)).toEqual({
      removed: [
        '          image: ghcr.io/acme/web:v1   # same image, runs migrations',
        '          image: "ghcr.io/acme/web:v1"',
        `              image: ghcr.io/acme/web@${OLD_DIGEST}`,
      ],
      added: [
        `          image: ghcr.io/acme/web@${DIGEST}   # same image, runs migrations`,
        `          image: "ghcr.io/acme/web@${DIGEST}"`,
        `              image: ghcr.io/acme/web@${DIGEST}`,
      ],
    });
    expect(out.changes.map((c) => c.path)).toEqual([
      'Deployment/web initContainers[migrate].image',
      'Deployment/web containers[app].image',
      'CronJob/nightly containers[report].image',
    ]);
    const again = editFile(out.text, 'deploy.yaml', manifests, contract());
    expect(again.changes).toEqual([]);
    expect(again.text).toBe(out.text);
  });

  test('only the named container when container is set', () => {
    const out = editFile(deployment, 'deploy.yaml', { kind: 'manifests', container: 'app' }, contract());
    expect(out.changes.map((c) => c.path)).toEqual(['Deployment/web containers[app].image']);
  });

  test('Docker Hub defaults compare equal', () => {
    const text =
      'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n    - name: n\n      image: docker.io/library/nginx:1.27\n';
    const out = editFile(text, 'pod.yaml', manifests, contract('nginx'));
    expect(lineDiff(text, out.text).added).toEqual([`      image: nginx@${DIGEST}`]);
  });

  test('a tag beside the same digest is already pinned', () => {
    const text = `kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n    - name: n\n      image: ghcr.io/acme/web:v2@${DIGEST}\n`;
    const out = editFile(text, 'pod.yaml', manifests, contract());
    expect(out).toEqual({ text, changes: [], kind: 'manifests' });
  });

  test('a file promoted under image-name is found again by the contract name', () => {
    const text =
      'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n    - name: n\n      image: web:dev\n';
    const once = editFile(text, 'pod.yaml', { kind: 'manifests', image: 'web' }, contract());
    expect(lineDiff(text, once.text).added).toEqual([`      image: ghcr.io/acme/web@${DIGEST}`]);
    expect(editFile(once.text, 'pod.yaml', { kind: 'manifests', image: 'web' }, contract()).changes).toEqual(
      [],
    );
  });

  test('refuses a file where nothing runs the image, naming file, image and what it found', () => {
    expect(failure(() => editFile(deployment, 'deploy.yaml', manifests, contract('ghcr.io/acme/api')))).toBe(
      'UserError: deploy.yaml: no container runs ghcr.io/acme/api (images found: ghcr.io/acme/web:v1, envoyproxy/envoy:v1.30, ghcr.io/acme/web@' +
        `${OLD_DIGEST}): set image-name to the name the file uses`,
    );
    expect(
      failure(() =>
        editFile(deployment, 'deploy.yaml', { kind: 'manifests', container: 'nope' }, contract()),
      ),
    ).toMatch(/^UserError: deploy\.yaml: no container named nope runs ghcr\.io\/acme\/web/);
  });
});
