// What the controllers' statuses say about a commit. The shapes are Flux 2.9's (kustomize-controller
// v1.9, helm-controller v1.6) and Argo CD's Application status; the e2e tests read the real ones.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import {
  applicationState,
  applicationWorkloads,
  helmReleaseState,
  inventoryWorkloads,
  kustomizationState,
  parseReconciler,
  revisionSha,
} from '../src/reconcile-status.js';

const ours = 'a'.repeat(40);
const older = 'b'.repeat(40);
const later = 'c'.repeat(40);
const digest = `sha256:${'d'.repeat(64)}`;
const expect0 = () => ({ commit: ours, digest, older: new Set([older]) });

const ks = (status: object, generation = 2) => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name: 'apps', generation },
  status: { observedGeneration: 2, ...status },
});
const ready = (status: string, reason: string, message = '') => ({
  conditions: [{ type: 'Ready', status, reason, message }],
});

describe('parseReconciler', () => {
  test('kind/namespace/name', () => {
    expect(parseReconciler('Kustomization/flux-system/apps')).toEqual({
      type: 'kustomization',
      namespace: 'flux-system',
      name: 'apps',
    });
  });
  test.each([
    'kustomization/apps',
    'deployment/ns/web',
    'kustomization/ns/web/x',
    'kustomization/NS/web',
    '',
  ])('refuses %j', (raw) => expect(() => parseReconciler(raw)).toThrow(UserError));
});

describe('revisionSha', () => {
  test.each([
    [`main@sha1:${ours}`, ours],
    [`sha1:${ours}`, ours],
    [ours, ours],
    ['0.1.0', undefined],
  ])('%s', (rev, sha) => expect(revisionSha(rev)).toBe(sha));
});

describe('Kustomization', () => {
  test('applied at our commit', () => {
    const s = kustomizationState(
      ks({ lastAppliedRevision: `main@sha1:${ours}`, ...ready('True', 'ReconciliationSucceeded') }),
      expect0(),
    );
    expect(s).toMatchObject({ state: 'applied', revision: ours });
  });
  test('still at an older commit: pending', () => {
    const s = kustomizationState(
      ks({ lastAppliedRevision: `main@sha1:${older}`, ...ready('True', 'ReconciliationSucceeded') }),
      expect0(),
    );
    expect(s.state).toBe('pending');
  });
  test('an unknown later revision is a candidate (the caller checks its ancestry)', () => {
    const s = kustomizationState(
      ks({ lastAppliedRevision: `main@sha1:${later}`, ...ready('True', 'ReconciliationSucceeded') }),
      expect0(),
    );
    expect(s).toMatchObject({ state: 'applied', revision: later });
  });
  test('a spec not yet observed is pending even when Ready', () => {
    const s = kustomizationState(
      ks({ lastAppliedRevision: `main@sha1:${ours}`, ...ready('True', 'ReconciliationSucceeded') }, 3),
      expect0(),
    );
    expect(s.state).toBe('pending');
  });
  test("failed on our commit: the controller's reason and message", () => {
    const s = kustomizationState(
      ks({
        lastAppliedRevision: `main@sha1:${older}`,
        lastAttemptedRevision: `main@sha1:${ours}`,
        ...ready('False', 'BuildFailed', 'kustomize build failed: missing resource'),
      }),
      expect0(),
    );
    expect(s).toEqual({
      state: 'failed',
      revision: ours,
      message: 'BuildFailed: kustomize build failed: missing resource',
    });
  });
  test('progressing is not a failure', () => {
    const s = kustomizationState(
      ks({ lastAttemptedRevision: `main@sha1:${ours}`, ...ready('False', 'Progressing') }),
      expect0(),
    );
    expect(s.state).toBe('pending');
  });
});

describe('HelmRelease', () => {
  const hr = (values: object, status: object) => ({
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: 'web', generation: 4 },
    spec: { values },
    status: { observedGeneration: 4, ...status },
  });
  test('its values carry the digest and it is Ready: applied', () => {
    const s = helmReleaseState(
      hr({ image: { digest } }, { lastAttemptedRevision: '0.1.0', ...ready('True', 'UpgradeSucceeded') }),
      expect0(),
    );
    expect(s.state).toBe('applied');
  });
  test('a chart from Git carrying the commit in its version: applied', () => {
    const s = helmReleaseState(
      hr({}, { lastAttemptedRevision: `0.1.0+${ours.slice(0, 12)}`, ...ready('True', 'UpgradeSucceeded') }),
      expect0(),
    );
    expect(s.state).toBe('applied');
  });
  test('not carrying the digest yet: pending, whatever Ready says', () => {
    const s = helmReleaseState(
      hr({ image: { digest: 'sha256:old' } }, ready('False', 'UpgradeFailed')),
      expect0(),
    );
    expect(s.state).toBe('pending');
  });
  test('upgrade failed with the digest: failed with the reason', () => {
    const s = helmReleaseState(
      hr({ image: { digest } }, ready('False', 'UpgradeFailed', 'context deadline exceeded')),
      expect0(),
    );
    expect(s).toMatchObject({ state: 'failed', message: 'UpgradeFailed: context deadline exceeded' });
  });
});

describe('Argo CD Application', () => {
  const app = (status: object) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', status });
  test('Synced and Healthy at our revision', () => {
    const s = applicationState(
      app({ sync: { status: 'Synced', revision: ours }, health: { status: 'Healthy' } }),
      expect0(),
    );
    expect(s.state).toBe('applied');
  });
  test('Degraded at our revision: failed', () => {
    const s = applicationState(
      app({ sync: { status: 'Synced', revision: ours }, health: { status: 'Degraded', message: 'crash' } }),
      expect0(),
    );
    expect(s).toMatchObject({ state: 'failed', message: 'Degraded: crash' });
  });
  test('still at an older revision: pending', () => {
    const s = applicationState(
      app({ sync: { status: 'Synced', revision: older }, health: { status: 'Healthy' } }),
      expect0(),
    );
    expect(s.state).toBe('pending');
  });
  test('its workloads from status.resources', () => {
    const w = applicationWorkloads(
      {
        status: {
          resources: [
            { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'prod' },
            { group: '', kind: 'Service', name: 'web', namespace: 'prod' },
          ],
        },
      } as never,
      'argocd',
    );
    expect(w).toEqual([{ kind: 'Deployment', name: 'web', namespace: 'prod' }]);
  });
});

test("Flux inventory ids name a Kustomization's workloads", () => {
  const w = inventoryWorkloads({
    status: {
      inventory: {
        entries: [
          { id: 'prod_web_apps_Deployment' },
          { id: 'prod_web__Service' },
          { id: 'prod_db_apps_StatefulSet' },
        ],
      },
    },
  } as never);
  expect(w).toEqual([
    { kind: 'Deployment', namespace: 'prod', name: 'web' },
    { kind: 'StatefulSet', namespace: 'prod', name: 'db' },
  ]);
});
