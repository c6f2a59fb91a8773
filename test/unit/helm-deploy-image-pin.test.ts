import { makeContract } from '@kubeline/image';
import { checkPinned, imageValues, parseImageValuesPath } from '@kubeline/image';
import { postRender } from '../../actions/helm-deploy/src/post-renderer.js';

const digest = `sha256:${'a'.repeat(64)}`;
const contract = makeContract({
  name: '127.0.0.1:5000/kubeline/web',
  digest,
  tags: ['127.0.0.1:5000/kubeline/web:v2'],
  platforms: [],
  pushed: true,
  labels: {},
});

describe('image-pin: the digest goes into the values', () => {
  it('the default path sets repository, digest and a tag@digest', () => {
    expect(imageValues(contract, parseImageValuesPath('image'))).toEqual({
      image: { repository: '127.0.0.1:5000/kubeline/web', digest, tag: `v2@${digest}` },
    });
  });

  it('explicit path=part lists reach any layout', () => {
    const m = parseImageValuesPath('app.image.registry=registry, app.image.name=name\napp.ref=ref');
    expect(imageValues(contract, m)).toEqual({
      app: {
        image: { registry: '127.0.0.1:5000', name: 'kubeline/web' },
        ref: `127.0.0.1:5000/kubeline/web@${digest}`,
      },
    });
  });

  it('a contract without tags still pins by digest through the tag', () => {
    const bare = { ...contract, tags: [] };
    expect(imageValues(bare, parseImageValuesPath('image')).image).toMatchObject({ tag: `pinned@${digest}` });
  });

  it('bad paths are one-line input errors', () => {
    expect(() => parseImageValuesPath('image.repo=commit')).toThrow(
      /input "image-values-path": "image.repo=commit" is not valid; write path=part with part one of/,
    );
    expect(() => parseImageValuesPath('app image')).toThrow(/a values path is keys joined by dots/);
  });

  it('every container running the repository must use the digest, and one must', () => {
    expect(
      checkPinned(
        [{ where: 'Deployment/web container web', image: `127.0.0.1:5000/kubeline/web:v2@${digest}` }],
        contract,
      ).ok,
    ).toBe(true);
    expect(
      checkPinned(
        [{ where: 'Deployment/web container web', image: '127.0.0.1:5000/kubeline/web:v2' }],
        contract,
      ).problem,
    ).toBe(
      `Deployment/web container web runs 127.0.0.1:5000/kubeline/web:v2, not the pinned digest ${digest}`,
    );
    expect(
      checkPinned([{ where: 'Deployment/web container web', image: 'busybox:1' }], contract).problem,
    ).toMatch(/^no container in the rendered manifests runs sha256:a+: set image-values-path/);
  });
});

const rendered = `---
# Source: web/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  annotations:
data:
  message: "hi"
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: other
  annotations:
    keep: me
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox:1
      containers:
        - name: web
          image: "127.0.0.1:5000/kubeline/web@${digest}"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
`;

describe('post-renderer', () => {
  const annotations = { 'kubeline.dev/commit': 'abc123', 'kubeline.dev/image-digest': digest };

  it('annotates every resource, keeps the rest of the document, and lists resources and containers', () => {
    const { output, report } = postRender(rendered, { annotations, image: contract, namespace: 'apps' });
    expect(report.error).toBeUndefined();
    expect(report.resources).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config', namespace: 'apps' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'other' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'reader' },
    ]);
    expect(report.containers.map((c) => c.where)).toEqual([
      'Deployment/web container init',
      'Deployment/web container web',
    ]);
    expect(output).toContain('# Source: web/templates/deployment.yaml');
    expect(output.match(/kubeline\.dev\/commit: abc123/g)).toHaveLength(3);
    expect(output).toContain('keep: me');
    expect(output.startsWith('---\n')).toBe(true);
  });

  it('refuses manifests that do not pull the pinned digest', () => {
    const tagged = rendered.replace(`@${digest}`, ':v2');
    const { report } = postRender(tagged, { annotations, image: contract, namespace: 'apps' });
    expect(report.error).toBe(
      `Deployment/web container web runs 127.0.0.1:5000/kubeline/web:v2, not the pinned digest ${digest}`,
    );
  });

  it('reports YAML that helm should never have rendered', () => {
    expect(postRender('a: [1\n', { annotations, namespace: 'x' }).report.error).toMatch(
      /^the rendered manifests are not valid YAML/,
    );
  });
});
