// The fail-fast verdict on raw pod states as the kubelet writes them.
import { describe, expect, test } from '@jest/globals';
import {
  DEFAULT_FAIL_FAST,
  FaultEvidence,
  creationFault,
  faultSubject,
  podFaults,
} from '../src/fail-fast.js';
import { podView, type RawPod } from '../src/pod-status.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

type State = NonNullable<NonNullable<NonNullable<RawPod['status']>['containerStatuses']>[number]['state']>;

function pod(
  state: State,
  o: {
    restarts?: number;
    last?: State;
    ready?: boolean;
    probe?: object;
    startup?: object;
    phase?: string;
    unschedulable?: string;
    readySince?: number;
  } = {},
): RawPod {
  return {
    metadata: { name: 'web-1' },
    spec: {
      nodeName: o.unschedulable ? undefined : 'node-0',
      containers: [
        {
          name: 'web',
          image: 'reg/web@sha256:1',
          readinessProbe: o.probe ?? null,
          startupProbe: o.startup ?? null,
        },
      ],
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.unschedulable
        ? [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: o.unschedulable }]
        : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: at(o.readySince ?? 0) }],
      containerStatuses: o.unschedulable
        ? []
        : [{ name: 'web', ready: !!o.ready, restartCount: o.restarts ?? 0, state, lastState: o.last ?? {} }],
    },
  };
}

const faults = (p: RawPod, nowS = 0, policy = DEFAULT_FAIL_FAST) =>
  podFaults([podView(p)], T0 + nowS * 1000, policy);
const crash = { terminated: { exitCode: 1, reason: 'Error' } };

describe('podFaults: which states are certain failures', () => {
  test('image pull and container config errors are faults at once (confirmation comes later)', () => {
    expect(
      faults(pod({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } })),
    ).toEqual([
      {
        kind: 'image-pull',
        pod: 'web-1',
        container: 'web',
        detail: 'ImagePullBackOff: Back-off pulling image',
      },
    ]);
    expect(
      faults(pod({ waiting: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' } }))[0],
    ).toMatchObject({
      kind: 'container-config',
      detail: 'CreateContainerConfigError: secret "db" not found',
    });
  });

  test('a crash loop is a fault at the restart threshold, not before', () => {
    const looping = (restarts: number) =>
      pod({ waiting: { reason: 'CrashLoopBackOff' } }, { restarts, last: crash });
    expect(faults(looping(1))).toEqual([]);
    expect(faults(looping(2))[0]).toMatchObject({
      kind: 'crash-loop',
      detail: 'CrashLoopBackOff: exit 1, 2 restarts',
    });
    expect(faults(looping(2), 0, { ...DEFAULT_FAIL_FAST, crashRestarts: 5 })).toEqual([]);
    // restarts that ended cleanly (exit 0) are not a crash
    expect(faults(pod({ running: {} }, { restarts: 4, last: { terminated: { exitCode: 0 } } }))).toEqual([]);
  });

  test('OOMKilled is a fault once the container has been restarted after it', () => {
    const oom = { terminated: { exitCode: 137, reason: 'OOMKilled' } };
    expect(
      faults(pod({ waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 1, last: oom }))[0],
    ).toMatchObject({
      kind: 'oom-killed',
      detail: 'OOMKilled (exit 137), 1 restarts',
    });
    expect(faults(pod(oom))).toEqual([]);
  });

  test('Unschedulable is a fault naming the scheduler reason', () => {
    expect(
      faults(pod({}, { phase: 'Pending', unschedulable: '0/2 nodes are available: 2 Insufficient cpu.' })),
    ).toEqual([
      {
        kind: 'unschedulable',
        pod: 'web-1',
        detail: 'Unschedulable: 0/2 nodes are available: 2 Insufficient cpu.',
      },
    ]);
  });

  test('readiness is a fault only past the probes budget, counted from the later of start and last change', () => {
    const probe = { periodSeconds: 2, failureThreshold: 3, initialDelaySeconds: 4 }; // 10 s
    const unready = (readySince = 0) => pod({ running: { startedAt: at(0) } }, { probe, readySince });
    expect(faults(unready(), 10)).toEqual([]);
    expect(faults(unready(), 11)[0]).toMatchObject({
      kind: 'readiness',
      detail: 'readiness probe failing for 11s, past its budget of 10s',
    });
    expect(faults(unready(5), 11)).toEqual([]); // was Ready until 5 s
    // a startup probe adds its own budget; API defaults are 10 s × 3
    const slow = pod({ running: { startedAt: at(0) } }, { probe: {}, startup: { failureThreshold: 30 } });
    expect(faults(slow, 300 + 30)).toEqual([]);
    expect(faults(slow, 331)).toHaveLength(1);
    // no readiness probe: readiness is the rollout's business, not a verdict
    expect(faults(pod({ running: { startedAt: at(0) } }), 3600)).toEqual([]);
    expect(faults(pod({ running: { startedAt: at(0) } }, { probe, ready: true }), 3600)).toEqual([]);
  });

  test('healthy, terminating and completed pods are never faults', () => {
    expect(faults(pod({ running: { startedAt: at(0) } }, { ready: true }))).toEqual([]);
    const gone = pod({ waiting: { reason: 'ImagePullBackOff' } });
    gone.metadata!.deletionTimestamp = at(0);
    expect(faults(gone)).toEqual([]);
    expect(faults(pod({ terminated: { exitCode: 0 } }, { phase: 'Succeeded' }))).toEqual([]);
  });
});

describe('FaultEvidence: confirmation across observations', () => {
  const pulling = [podView(pod({ waiting: { reason: 'ErrImagePull', message: 'not found' } }))];
  const healthy = [podView(pod({ running: { startedAt: at(0) } }, { ready: true }))];

  test('a state that can clear must persist for confirmMs; clearing starts it over', () => {
    const e = new FaultEvidence();
    expect(e.observe(pulling, T0)).toBeUndefined();
    expect(e.observe(pulling, T0 + 9_999)).toBeUndefined();
    expect(e.observe(pulling, T0 + 10_000)).toMatchObject({
      firstSeen: T0,
      at: T0 + 10_000,
      fault: { kind: 'image-pull' },
    });
    const again = new FaultEvidence();
    again.observe(pulling, T0);
    again.observe(healthy, T0 + 5_000);
    expect(again.observe(pulling, T0 + 10_000)).toBeUndefined();
    expect(again.observe(pulling, T0 + 20_000)?.firstSeen).toBe(T0 + 10_000);
  });

  test('a crash loop at the threshold is the verdict on first sight', () => {
    const looping = [podView(pod({ waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 2, last: crash }))];
    expect(new FaultEvidence().observe(looping, T0)).toMatchObject({
      firstSeen: T0,
      at: T0,
      fault: { kind: 'crash-loop' },
    });
  });
});

describe('creationFault: pods the controller cannot create', () => {
  const quota =
    'pods "web-5d4b9-x2k7p" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2';
  const refused = (message = quota, reason = 'FailedCreate') => ({
    name: 'web-5d4b9',
    conditions: [{ type: 'ReplicaFailure', status: 'True', reason, message }],
  });

  test("the new ReplicaSet's ReplicaFailure/FailedCreate is a fault with the controller's message in one line", () => {
    expect(creationFault(refused())).toEqual({
      kind: 'failed-create',
      replicaSet: 'web-5d4b9',
      detail: `FailedCreate: ${quota}`,
    });
    const webhook = 'admission webhook "policy.example.com" denied the request:\n  - no privileged pods\n';
    expect(creationFault(refused(webhook))?.detail).toBe(
      'FailedCreate: admission webhook "policy.example.com" denied the request:',
    );
    expect(faultSubject(creationFault(refused())!)).toBe('ReplicaSet web-5d4b9');
  });

  test('no condition, a cleared one or a failed delete is no fault', () => {
    expect(creationFault({ name: 'web-5d4b9', conditions: [] })).toBeUndefined();
    const cleared = refused();
    cleared.conditions[0]!.status = 'False';
    expect(creationFault(cleared)).toBeUndefined();
    expect(creationFault(refused('pods "web-1" not found', 'FailedDelete'))).toBeUndefined();
  });

  test('the API server away or busy is no fault: it clears by itself (seen while it restarted)', () => {
    for (const transient of [
      'Post "https://127.0.0.1:36443/api/v1/namespaces/a/pods": dial tcp 127.0.0.1:36443: connect: connection refused',
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
      'etcdserver: request timed out',
    ])
      expect(creationFault(refused(transient))).toBeUndefined();
    expect(
      creationFault(refused('Pod "web-1" is invalid: spec.containers[0].image: Required value')),
    ).toBeDefined();
  });

  test("a new namespace's default ServiceAccount not made yet is no fault; a missing named one is", () => {
    const lookup = (account: string) =>
      `pods "web-5d4b9-" is forbidden: error looking up service account shop/${account}: serviceaccount "${account}" not found`;
    // seen in the full run: the controller manager still reconnecting after API server restarts
    expect(creationFault(refused(lookup('default')))).toBeUndefined();
    expect(creationFault(refused(lookup('web-runner')))?.detail).toBe(
      `FailedCreate: ${lookup('web-runner')}`,
    );
  });

  test('it must persist for confirmMs like the other faults that can clear; cleared inside it is no verdict', () => {
    const e = new FaultEvidence();
    expect(e.observe([], T0, creationFault(refused()))).toBeUndefined();
    expect(e.observe([], T0 + 9_999, creationFault(refused()))).toBeUndefined();
    expect(e.observe([], T0 + 10_000, creationFault(refused()))).toMatchObject({
      firstSeen: T0,
      fault: { kind: 'failed-create', replicaSet: 'web-5d4b9' },
    });
    // the quota raised at 6 s: the controller's next try creates the pods, the condition goes
    const raised = new FaultEvidence();
    raised.observe([], T0, creationFault(refused()));
    expect(raised.observe([], T0 + 6_000)).toBeUndefined();
    expect(raised.observe([], T0 + 12_000, creationFault(refused()))).toBeUndefined();
  });

  test('a crash loop seen later is still the verdict at once; an older fault wins among confirmed ones', () => {
    const looping = [podView(pod({ waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 2, last: crash }))];
    const e = new FaultEvidence();
    expect(e.observe([], T0, creationFault(refused()))).toBeUndefined();
    expect(e.observe(looping, T0 + 2_000, creationFault(refused()))?.fault.kind).toBe('crash-loop');
    const f = new FaultEvidence();
    f.observe([], T0, creationFault(refused()));
    expect(f.observe(looping, T0 + 10_000, creationFault(refused()))?.fault.kind).toBe('failed-create');
  });
});
