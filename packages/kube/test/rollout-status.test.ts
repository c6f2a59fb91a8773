import { rolloutStatus, type WorkloadSnapshot } from '@kubeline/kube';

const deployment = (status: WorkloadSnapshot['status'], generation = 2, replicas = 3): WorkloadSnapshot => ({
  metadata: { name: 'web', generation },
  spec: { replicas },
  status,
});

describe('Deployment rollout status, as kubectl rollout status', () => {
  it('waits until the controller has observed the new generation', () => {
    const s = rolloutStatus(
      'Deployment',
      deployment({ observedGeneration: 1, updatedReplicas: 3, availableReplicas: 3 }),
    );
    expect(s).toEqual({
      state: 'progressing',
      message: 'waiting for deployment "web" spec update to be observed',
    });
  });

  it('counts updated, old and available replicas in that order', () => {
    const steps: [WorkloadSnapshot['status'], string][] = [
      [
        { observedGeneration: 2, replicas: 4, updatedReplicas: 1 },
        '1 out of 3 new replicas have been updated',
      ],
      [{ observedGeneration: 2, replicas: 4, updatedReplicas: 3 }, '1 old replicas are pending termination'],
      [
        { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 },
        '2 of 3 updated replicas are available',
      ],
    ];
    for (const [status, message] of steps)
      expect(rolloutStatus('Deployment', deployment(status))).toEqual({
        state: 'progressing',
        message: `waiting for deployment "web" rollout to finish: ${message}`,
      });
  });

  it('is complete when every updated replica is available', () => {
    const s = rolloutStatus(
      'Deployment',
      deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
    );
    expect(s).toEqual({ state: 'complete', message: 'deployment "web" successfully rolled out' });
  });

  it('fails fast on ProgressDeadlineExceeded, with the condition message', () => {
    const s = rolloutStatus(
      'Deployment',
      deployment({
        observedGeneration: 2,
        updatedReplicas: 1,
        conditions: [
          { type: 'Available', status: 'True' },
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-7d4b9" has timed out progressing.',
          },
        ],
      }),
    );
    expect(s).toEqual({
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message:
        'deployment "web" exceeded its progress deadline: ReplicaSet "web-7d4b9" has timed out progressing.',
    });
  });

  it('ignores a deadline reported for an older generation', () => {
    const s = rolloutStatus(
      'Deployment',
      deployment({
        observedGeneration: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      }),
    );
    expect(s.state).toBe('progressing');
  });
});

describe('StatefulSet rollout status', () => {
  const sts = (spec: WorkloadSnapshot['spec'], status: WorkloadSnapshot['status']): WorkloadSnapshot => ({
    metadata: { name: 'db', generation: 5 },
    spec,
    status: { observedGeneration: 5, ...status },
  });

  it('waits for ready pods, then for the update revision to become current', () => {
    expect(rolloutStatus('StatefulSet', sts({ replicas: 3 }, { readyReplicas: 2 })).message).toBe(
      'waiting for statefulset "db": 1 pods to be ready',
    );
    const rolling = rolloutStatus(
      'StatefulSet',
      sts(
        { replicas: 3 },
        { readyReplicas: 3, updatedReplicas: 1, currentRevision: 'db-1', updateRevision: 'db-2' },
      ),
    );
    expect(rolling).toEqual({
      state: 'progressing',
      message: 'waiting for statefulset "db" rolling update to complete 1 pods at revision db-2',
    });
    const done = rolloutStatus(
      'StatefulSet',
      sts(
        { replicas: 3 },
        { readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-2', updateRevision: 'db-2' },
      ),
    );
    expect(done).toEqual({
      state: 'complete',
      message: 'statefulset "db" rolling update complete 3 pods at revision db-2',
    });
  });

  it('completes a partitioned rollout once the pods above the partition are updated', () => {
    const spec = { replicas: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 3 } } };
    expect(rolloutStatus('StatefulSet', sts(spec, { readyReplicas: 5, updatedReplicas: 1 })).state).toBe(
      'progressing',
    );
    expect(rolloutStatus('StatefulSet', sts(spec, { readyReplicas: 5, updatedReplicas: 2 }))).toEqual({
      state: 'complete',
      message: 'statefulset "db" partitioned roll out complete: 2 new pods have been updated',
    });
  });

  it('with the default partition 0, waits until every pod is updated', () => {
    const spec = { replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } };
    expect(rolloutStatus('StatefulSet', sts(spec, { readyReplicas: 2, updatedReplicas: 1 })).message).toBe(
      'waiting for statefulset "db" rolling update to finish: 1 out of 2 new pods have been updated',
    );
    expect(rolloutStatus('StatefulSet', sts(spec, { readyReplicas: 2, updatedReplicas: 2 })).message).toBe(
      'statefulset "db" rolling update complete: 2 new pods have been updated',
    );
  });

  it('refuses OnDelete, which never rolls out by itself', () => {
    const s = rolloutStatus('StatefulSet', sts({ replicas: 1, updateStrategy: { type: 'OnDelete' } }, {}));
    expect(s).toMatchObject({ state: 'failed', reason: 'UnsupportedStrategy' });
  });

  it('waits while observedGeneration is unset', () => {
    const s = rolloutStatus('StatefulSet', {
      metadata: { name: 'db', generation: 1 },
      spec: { replicas: 1 },
      status: {},
    });
    expect(s.message).toBe('waiting for statefulset "db" spec update to be observed');
  });
});

describe('DaemonSet rollout status', () => {
  const ds = (status: WorkloadSnapshot['status']): WorkloadSnapshot => ({
    metadata: { name: 'agent', generation: 3 },
    spec: {},
    status: { observedGeneration: 3, desiredNumberScheduled: 2, ...status },
  });

  it('waits for updated then available pods on every node', () => {
    expect(rolloutStatus('DaemonSet', ds({ updatedNumberScheduled: 1 })).message).toBe(
      'waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated',
    );
    expect(rolloutStatus('DaemonSet', ds({ updatedNumberScheduled: 2, numberAvailable: 1 })).message).toBe(
      'waiting for daemon set "agent" rollout to finish: 1 of 2 updated pods are available',
    );
    expect(rolloutStatus('DaemonSet', ds({ updatedNumberScheduled: 2, numberAvailable: 2 }))).toEqual({
      state: 'complete',
      message: 'daemon set "agent" successfully rolled out',
    });
  });
});
