import type { HistoryEntry } from '@kubeline/helm';
import { HEALTHY_ANNOTATION } from '@kubeline/helm';
import {
  chooseReplicaSet,
  undoPatch,
  type ReplicaSetLike,
} from '../../actions/rollback/src/deployment-revision.js';
import { chooseHelmRevision, manifestDigest } from '../../actions/rollback/src/helm-revision.js';
import { inputSpec, parseTarget } from '../../actions/rollback/src/inputs.js';

const at = '2026-01-01T00:00:00Z';
const h = (revision: number, status: HistoryEntry['status'], description = ''): HistoryEntry => ({
  revision,
  status,
  updated: at,
  chart: 'web-0.1.0',
  app_version: '1',
  description,
});
// deploy 1, deploy 2, broken 3 rolled back by helm-deploy as 4
const history = [h(1, 'superseded'), h(2, 'superseded'), h(3, 'failed'), h(4, 'deployed', 'Rollback to 2')];

describe('rollback: which Helm revision', () => {
  it('previous: the newest revision before the current one that served, other than the one it restored', () => {
    // 4 is "Rollback to 2": going back to 2 would change nothing
    expect(chooseHelmRevision('web', history, parseTarget('previous'), []).to.revision).toBe(1);
    expect(
      chooseHelmRevision(
        'web',
        history.slice(0, 2).map((x, i) => (i === 1 ? { ...x, status: 'deployed' as const } : x)),
        parseTarget('previous'),
        [],
      ).to.revision,
    ).toBe(1);
  });
  it('a number must exist, else nothing changes', () => {
    expect(chooseHelmRevision('web', history, parseTarget('1'), []).to.revision).toBe(1);
    expect(() => chooseHelmRevision('web', history, parseTarget('9'), [])).toThrow(
      'release web has no revision 9 (revisions: 1, 2, 3, 4); nothing was changed',
    );
  });
  it('last-good: the newest revision helm-deploy recorded ready, other than the current one', () => {
    const healthy = [
      { revision: 2, chart: 'c', at },
      { revision: 1, chart: 'c', at },
    ];
    expect(chooseHelmRevision('web', history, parseTarget('last-good'), healthy).to.revision).toBe(2);
    expect(() => chooseHelmRevision('web', history, parseTarget('last-good'), [])).toThrow(
      'release web has no revision recorded as ready by helm-deploy other than 4; nothing was changed',
    );
  });
  it('an unknown release is one line', () => {
    expect(() => chooseHelmRevision('web', [], parseTarget('previous'), [])).toThrow(
      'release web not found in this namespace: nothing to roll back',
    );
  });
  it('reads the digest a manifest runs', () => {
    const d = `sha256:${'e'.repeat(64)}`;
    expect(manifestDigest(`metadata:\n  annotations:\n    kubeline.dev/image-digest: ${d}\n`)).toBe(d);
    expect(manifestDigest(`      image: "r/app:v1@${d}"\n`)).toBe(d);
    expect(manifestDigest('image: r/app:v1')).toBeUndefined();
  });
});

describe('rollback: which ReplicaSet of a Deployment', () => {
  const uid = 'dep-uid';
  const rs = (revision: number, image: string, healthy = false): ReplicaSetLike => ({
    metadata: {
      name: `web-${revision}`,
      ownerReferences: [{ uid }],
      annotations: {
        'deployment.kubernetes.io/revision': String(revision),
        'meta.helm.sh/release-name': 'web',
        ...(healthy ? { [HEALTHY_ANNOTATION]: at } : {}),
      },
    },
    spec: {
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } },
        spec: { containers: [{ image }] },
      },
    },
  });
  const sets = [
    rs(1, 'app:1', true),
    rs(2, 'app:2', true),
    rs(3, 'app:3'),
    { ...rs(4, 'foreign'), metadata: { ...rs(4, 'x').metadata, ownerReferences: [{ uid: 'other' }] } },
  ];
  const deployment = {
    metadata: {
      uid,
      annotations: {
        'deployment.kubernetes.io/revision': '3',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      },
    },
    spec: { template: sets[2]!.spec!.template },
  };
  it('previous, a number, last-good', () => {
    expect(chooseReplicaSet('web', deployment, sets, parseTarget('previous')).to).toBe(2);
    expect(chooseReplicaSet('web', deployment, sets, parseTarget('1')).to).toBe(1);
    expect(chooseReplicaSet('web', deployment, sets, parseTarget('last-good')).to).toBe(2);
    expect(() => chooseReplicaSet('web', deployment, sets, parseTarget('4'))).toThrow(
      'Deployment web has no revision 4 (revisions kept: 1, 2, 3); nothing was changed',
    );
  });
  it('a paused Deployment is refused', () => {
    expect(() =>
      chooseReplicaSet('web', { ...deployment, spec: { paused: true } }, sets, parseTarget('previous')),
    ).toThrow(/is paused/);
  });
  it('patches the template without the hash label, carrying the revision’s annotations like kubectl', () => {
    expect(undoPatch(deployment, sets[0]!)).toEqual([
      {
        op: 'replace',
        path: '/spec/template',
        value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ image: 'app:1' }] } },
      },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: {
          'deployment.kubernetes.io/revision': '3',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'meta.helm.sh/release-name': 'web',
        },
      },
    ]);
  });
});

describe('rollback: to', () => {
  const digest = `sha256:${'a'.repeat(64)}`;

  test('an image digest is kind: gitops’s alone: a Helm release or a Deployment refuses it by name', () => {
    expect(() => parseTarget(digest)).toThrow(
      `input "to": "${digest}" is not valid; an image digest is for kind: gitops; allowed here: previous, last-good or a revision number`,
    );
  });

  test('the input accepts a digest and refuses one that is not sha256:<64 hex>', () => {
    expect(inputSpec.to.parse(digest, 'to')).toBe(digest);
    for (const bad of [`sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`])
      expect(() => inputSpec.to.parse(bad, 'to')).toThrow(
        `input "to": "${bad}" is not valid; allowed: previous, last-good, a revision number, or (kind: gitops) an image digest sha256:<64 hex>`,
      );
  });
});
