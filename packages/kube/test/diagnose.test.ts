import {
  diagnose,
  podView,
  renderDiagnostics,
  schedulingCause,
  selectorString,
  summarizeEvents,
  type Diagnostics,
  type LogTail,
} from '@kubeline/kube';
import { Summary } from '@kubeline/runtime';

type RawPod = Parameters<typeof podView>[0];
type RawEvent = Parameters<typeof summarizeEvents>[0][number];

const container = {
  name: 'app',
  image: 'registry.local/shop/web:1.4.0',
  readinessProbe: { httpGet: { path: '/ready' } },
};

function pod(name: string, status: NonNullable<RawPod['status']>, extra: Partial<RawPod> = {}): RawPod {
  return {
    metadata: { name, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9', controller: true }] },
    spec: { nodeName: 'kwok-node-0', containers: [container] },
    status,
    ...extra,
  };
}

const running = (ready: boolean): NonNullable<RawPod['status']> => ({
  phase: 'Running',
  conditions: [
    { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? undefined : 'ContainersNotReady' },
    { type: 'PodScheduled', status: 'True' },
  ],
  containerStatuses: [
    { name: 'app', ready, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } },
  ],
});

const waiting = (
  reason: string,
  message?: string,
  restarts = 0,
  last?: object,
): NonNullable<RawPod['status']> => ({
  phase: 'Pending',
  conditions: [{ type: 'Ready', status: 'False' }],
  containerStatuses: [
    {
      name: 'app',
      image: container.image,
      ready: false,
      restartCount: restarts,
      state: { waiting: { reason, message } },
      lastState: last ? { terminated: last } : {},
    },
  ],
});

function event(
  object: string,
  reason: string,
  message: string,
  at: string,
  type = 'Warning',
  count = 1,
): RawEvent {
  const [kind, name] = object.split('/');
  return { type, reason, message, count, involvedObject: { kind, name }, lastTimestamp: at };
}

function diagnostics(
  over: Partial<Diagnostics> & { rawPods?: RawPod[]; rawEvents?: RawEvent[] } = {},
): Diagnostics {
  const { rawPods = [], rawEvents = [], ...rest } = over;
  return {
    namespace: 'shop',
    workload: { kind: 'Deployment', name: 'web', conditions: [], status: 'waiting' },
    pods: rawPods.map(podView),
    events: summarizeEvents(rawEvents, 20),
    logs: [],
    problems: [],
    ...rest,
  };
}

const deadline = {
  type: 'Progressing',
  status: 'False',
  reason: 'ProgressDeadlineExceeded',
  message: 'ReplicaSet "web-7d4b9" has timed out progressing.',
};

describe('diagnose names the cause in one line', () => {
  it('pods running but not Ready: readiness, with the probe event, behind ProgressDeadlineExceeded', () => {
    const d = diagnostics({
      workload: { kind: 'Deployment', name: 'web', conditions: [deadline], status: '' },
      rawPods: [
        pod('web-7d4b9-a', running(false)),
        pod('web-7d4b9-b', running(false)),
        pod('web-5c8f1-z', running(true)),
      ],
      rawEvents: [
        event(
          'Pod/web-7d4b9-a',
          'Unhealthy',
          'Readiness probe failed: HTTP probe failed with statuscode: 503',
          '2024-01-01T00:00:05Z',
        ),
      ],
    });
    expect(diagnose(d)).toBe(
      'ProgressDeadlineExceeded: pods web-7d4b9-a, web-7d4b9-b never became Ready: readiness probe failing (HTTP probe failed with statuscode: 503)',
    );
  });

  it('readiness without an event still names the probe; without a probe, the containers', () => {
    expect(diagnose(diagnostics({ rawPods: [pod('web-a', running(false))] }))).toBe(
      'pods web-a never became Ready: readiness probe failing',
    );
    const noProbe = pod('web-a', running(false), { spec: { containers: [{ name: 'app', image: 'x' }] } });
    expect(diagnose(diagnostics({ rawPods: [noProbe] }))).toBe(
      'pods web-a never became Ready: containers not ready: app',
    );
  });

  it('lists at most three pods', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(`web-${n}`, running(false)));
    expect(diagnose(diagnostics({ rawPods: pods }))).toBe(
      'pods web-a, web-b, web-c and 2 more never became Ready: readiness probe failing',
    );
  });

  it('ImagePullBackOff: the image and why it cannot be pulled', () => {
    const d = diagnostics({
      rawPods: [pod('web-a', waiting('ImagePullBackOff', `Back-off pulling image "${container.image}"`))],
      rawEvents: [
        event(
          'Pod/web-a',
          'Failed',
          `Failed to pull image "${container.image}": rpc error: code = NotFound desc = manifest unknown`,
          '2024-01-01T00:00:03Z',
        ),
      ],
    });
    expect(diagnose(d)).toBe(`ImagePullBackOff: image ${container.image} not found (pod web-a)`);
    const denied = diagnostics({
      rawPods: [pod('web-a', waiting('ErrImagePull', 'failed to authorize: 401 Unauthorized'))],
    });
    expect(diagnose(denied)).toBe(
      `ErrImagePull: image ${container.image} access denied (check imagePullSecrets) (pod web-a)`,
    );
  });

  it('CrashLoopBackOff: the exit code, the reason when not plain Error, and the last log line', () => {
    const logs: LogTail[] = [
      {
        pod: 'web-a',
        container: 'app',
        previous: true,
        lines: ['starting', 'panic: DATABASE_URL is not set', ''],
      },
    ];
    const crash = diagnostics({
      rawPods: [
        pod('web-a', waiting('CrashLoopBackOff', 'back-off 40s', 4, { reason: 'Error', exitCode: 1 })),
      ],
      logs,
    });
    expect(diagnose(crash)).toBe(
      'CrashLoopBackOff (exit 1): container app in pod web-a; last log line: panic: DATABASE_URL is not set',
    );
    const oom = diagnostics({
      rawPods: [pod('web-a', waiting('CrashLoopBackOff', '', 2, { reason: 'OOMKilled', exitCode: 137 }))],
    });
    expect(diagnose(oom)).toBe('CrashLoopBackOff (OOMKilled, exit 137): container app in pod web-a');
  });

  it('CreateContainerConfigError: the missing reference', () => {
    const d = diagnostics({
      rawPods: [pod('web-a', waiting('CreateContainerConfigError', 'secret "db-credentials" not found'))],
    });
    expect(diagnose(d)).toBe(
      'CreateContainerConfigError: secret "db-credentials" not found (container app in pod web-a)',
    );
  });

  it('Unschedulable: the scheduler reasons and node count', () => {
    const pending = pod(
      'web-a',
      {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message:
              '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
          },
        ],
      },
      { spec: { containers: [container] } },
    );
    expect(diagnose(diagnostics({ rawPods: [pending] }))).toBe(
      'Insufficient cpu: 0/2 nodes available (pod web-a cannot be scheduled)',
    );
    expect(
      schedulingCause(
        '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory.',
      ),
    ).toBe(
      'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, Insufficient memory: 0/3 nodes available',
    );
    // kube-scheduler 1.34, as the stack's reports it: the DRA plugin's note is not a reason
    expect(
      schedulingCause(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
      ),
    ).toBe("node(s) didn't match Pod's node affinity/selector: 0/2 nodes available");
  });

  it('a ReplicaSet that cannot create pods (quota, admission) comes first', () => {
    const d = diagnostics({
      workload: {
        kind: 'Deployment',
        name: 'web',
        status: '',
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'pods "web-7d4b9-x" is forbidden: exceeded quota: compute',
          },
        ],
      },
    });
    expect(diagnose(d)).toBe('FailedCreate: pods "web-7d4b9-x" is forbidden: exceeded quota: compute');
  });

  it('a FailedCreate the controller has since got past (pods created after it) is not the cause', () => {
    const refused = {
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'Error creating: serviceaccount "default" not found',
      involvedObject: { kind: 'ReplicaSet', name: 'web-7d4b9' },
      lastTimestamp: '2026-12-01T10:00:00Z',
    };
    const created = (at: string) => ({
      name: 'web-a',
      creationTimestamp: at,
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9', controller: true }],
    });
    const after = pod('web-a', running(false), { metadata: created('2026-12-01T10:00:05Z') });
    expect(diagnose(diagnostics({ rawPods: [after], rawEvents: [refused] }))).toMatch(
      /^pods web-a never became Ready/,
    );
    const before = pod('web-a', running(false), { metadata: created('2026-12-01T09:59:00Z') });
    expect(diagnose(diagnostics({ rawPods: [before], rawEvents: [refused] }))).toBe(
      'FailedCreate: serviceaccount "default" not found',
    );
  });

  it('ProgressDeadlineExceeded alone, with its message, when no pod explains it', () => {
    const d = diagnostics({
      workload: { kind: 'Deployment', name: 'web', conditions: [deadline], status: '' },
      rawPods: [pod('web-a', running(true))],
    });
    expect(diagnose(d)).toBe('ProgressDeadlineExceeded: ReplicaSet "web-7d4b9" has timed out progressing.');
  });

  it('says when nothing could be looked at', () => {
    expect(diagnose(diagnostics())).toBe('no pods exist for Deployment web');
    expect(
      diagnose(diagnostics({ problems: ['list pods: forbidden: ci cannot list pods in namespace shop'] })),
    ).toBe(
      'no cause found; could not collect everything: list pods: forbidden: ci cannot list pods in namespace shop',
    );
  });
});

describe('events and selectors', () => {
  it('sorts events oldest first, merges repeats with their counts, keeps the last N', () => {
    const events = summarizeEvents(
      [
        event('Pod/web-a', 'Unhealthy', 'Readiness probe failed', '2024-01-01T00:00:09Z', 'Warning', 3),
        event('Pod/web-a', 'Scheduled', 'assigned', '2024-01-01T00:00:01Z', 'Normal'),
        event(
          'Pod/web-a',
          'Pulled',
          'pulled',
          new Date('2024-01-01T00:00:02Z') as unknown as string,
          'Normal',
        ),
        event('Pod/web-a', 'Unhealthy', 'Readiness probe failed', '2024-01-01T00:00:05Z', 'Warning', 2),
      ],
      2,
    );
    expect(events).toEqual([
      {
        type: 'Normal',
        reason: 'Pulled',
        object: 'Pod/web-a',
        message: 'pulled',
        count: 1,
        lastSeen: '2024-01-01T00:00:02.000Z',
      },
      {
        type: 'Warning',
        reason: 'Unhealthy',
        object: 'Pod/web-a',
        message: 'Readiness probe failed',
        count: 5,
        lastSeen: '2024-01-01T00:00:09.000Z',
      },
    ]);
  });

  it('writes label selectors in the query syntax', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),!legacy');
  });
});

describe('renderDiagnostics', () => {
  it('adds the cause, conditions, pods, events and logs to the summary', () => {
    const d = diagnostics({
      workload: { kind: 'Deployment', name: 'web', conditions: [deadline], status: '' },
      rawPods: [pod('web-7d4b9-a', running(false))],
      rawEvents: [
        event('Pod/web-7d4b9-a', 'Unhealthy', 'Readiness probe failed: 503', '2024-01-01T00:00:05Z'),
      ],
      logs: [
        { pod: 'web-7d4b9-a', container: 'app', previous: false, lines: ['GET /ready 503'] },
        {
          pod: 'web-7d4b9-a',
          container: 'sidecar',
          previous: false,
          lines: [],
          error: 'container not found',
        },
      ],
    });
    const text = renderDiagnostics(new Summary(), d).toString();
    expect(text).toContain('### Why Deployment web failed');
    expect(text).toContain(
      '**Cause:** ProgressDeadlineExceeded: pods web-7d4b9-a never became Ready: readiness probe failing (503)',
    );
    expect(text).toContain(
      '| Progressing | False | ProgressDeadlineExceeded | ReplicaSet "web-7d4b9" has timed out progressing. |',
    );
    expect(text).toContain(
      '| web-7d4b9-a | Running | no | 0 | app: running, not ready | Ready: ContainersNotReady |',
    );
    expect(text).toContain(
      '| 2024-01-01T00:00:05.000Z | Warning | Unhealthy | Pod/web-7d4b9-a | 1 | Readiness probe failed: 503 |',
    );
    expect(text).toContain('<summary>Log of web-7d4b9-a/app</summary>');
    expect(text).toContain('GET /ready 503');
    expect(text).toContain('could not read the log: container not found');
  });
});
