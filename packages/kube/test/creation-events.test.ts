// FailedCreate events standing in for the ReplicaFailure condition StatefulSets and DaemonSets lack.
// The API is a local fake (fake-apiserver.ts), named as such; test/e2e/kube.test.ts has the real
// controllers refused by a real quota.
import { describe, expect, test } from '@jest/globals';
import { faultSubject, watchForFault } from '@kubeline/kube';
import {
  CreationEvents,
  creationRefusalMessage,
  newRefusal,
  type CreationEvent,
} from '../src/creation-events.js';
import { json, status, useFakeCluster } from './fake-apiserver.js';

const QUOTA =
  'pods "db-1" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1';
const EVENTS = '/api/v1/namespaces/shop/events';

const event = (uid: string, count: number, message = QUOTA, lastTimestamp = '2026-12-06T10:00:00Z') => ({
  metadata: { uid },
  count,
  message,
  lastTimestamp,
});

describe('creationRefusalMessage: the refusal alone, as a ReplicaSet condition words it', () => {
  test.each([
    ['a DaemonSet', `Error creating: ${QUOTA}`],
    ['a StatefulSet', `create Pod db-1 in StatefulSet db failed error: ${QUOTA}`],
    ['an aggregated event', `(combined from similar events): Error creating: ${QUOTA}`],
    ['a bare message', QUOTA],
  ])('%s', (_what, message) => {
    expect(creationRefusalMessage(message)).toBe(QUOTA);
  });
});

describe('newRefusal: only events new or recurred since the first look count', () => {
  const baseline = new Map([['old', 3]]);

  test('an old event seen as often as at the first look is history', () => {
    expect(newRefusal(baseline, [event('old', 3)])).toBeUndefined();
  });

  test('the same event recurring counts, and so does a new one', () => {
    expect(newRefusal(baseline, [event('old', 4)])).toBe(QUOTA);
    expect(newRefusal(baseline, [event('old', 3), event('new', 1, 'Error creating: x is forbidden')])).toBe(
      'x is forbidden',
    );
  });

  test('the newest by the API server’s time, whatever the list order', () => {
    const events: CreationEvent[] = [
      event('b', 1, 'second', '2026-12-06T10:00:05Z'),
      event('a', 1, 'first', '2026-12-06T10:00:01Z'),
    ];
    expect(newRefusal(new Map(), events)).toBe('second');
  });

  test('the events API’s series count stands in for a missing count', () => {
    const recurred = { metadata: { uid: 'old' }, series: { count: 5 }, message: QUOTA };
    expect(newRefusal(baseline, [recurred])).toBe(QUOTA);
  });
});

describe('CreationEvents against a fake API server', () => {
  const fake = useFakeCluster();
  const db = { kind: 'StatefulSet', name: 'db', namespace: 'shop' };

  test('asks for the workload’s FailedCreate warnings only', async () => {
    fake.api.on('GET', EVENTS, (_u, res) => json(res, 200, { items: [] }));
    fake.api.requests.length = 0;
    await new CreationEvents(fake.cluster, db).takeBaseline();
    const asked = new URL(fake.api.requests[0]!.split(' ')[1]!, 'http://x').searchParams;
    expect(asked.get('fieldSelector')).toBe(
      'involvedObject.kind=StatefulSet,involvedObject.name=db,reason=FailedCreate,type=Warning',
    );
  });

  test('no baseline, no verdict; the baseline is retried, and only a recurrence counts after it', async () => {
    let answer = () => ({ items: [event('old', 1)] });
    fake.api.on('GET', EVENTS, (_u, res) => status(res, 403, 'Forbidden', 'events is forbidden'));
    const events = new CreationEvents(fake.cluster, db);
    await events.takeBaseline();
    fake.api.on('GET', EVENTS, (_u, res) => json(res, 200, answer()));
    expect(await events.refusal()).toBeUndefined(); // a refusal seen with no first look is no verdict

    await events.takeBaseline();
    expect(await events.refusal()).toBeUndefined(); // the same old event
    answer = () => ({ items: [event('old', 2)] });
    expect(await events.refusal()).toBe(QUOTA);
  });

  test('events that cannot be read are no verdict', async () => {
    fake.api.on('GET', EVENTS, (_u, res) => json(res, 200, { items: [] }));
    const events = new CreationEvents(fake.cluster, db);
    await events.takeBaseline();
    fake.api.on('GET', EVENTS, (_u, res) => status(res, 403, 'Forbidden', 'events is forbidden'));
    expect(await events.refusal()).toBeUndefined();
  });
});

describe('watchForFault: a StatefulSet its controller cannot give pods', () => {
  const fake = useFakeCluster();
  const statefulSet = (have: number) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'shop', generation: 2, uid: 'u1' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'db' } } },
    status: { observedGeneration: 2, updateRevision: 'db-7c9', replicas: have },
  });
  const watchDb = (ms: number) =>
    watchForFault(
      fake.cluster,
      { kind: 'StatefulSet', name: 'db', namespace: 'shop' },
      AbortSignal.timeout(ms),
      {
        policy: { crashRestarts: 2, confirmMs: 0 },
      },
    );

  function serve(have: number): void {
    let lists = 0;
    fake.api.on('GET', '/apis/apps/v1/namespaces/shop/statefulsets/db', (_u, res) =>
      json(res, 200, statefulSet(have)),
    );
    fake.api.on('GET', '/api/v1/namespaces/shop/pods', (_u, res) => json(res, 200, { items: [] }));
    // the first look finds last hour's refusal; the controller's next try raises its count
    fake.api.on('GET', EVENTS, (_u, res) =>
      json(res, 200, {
        items: [
          event('e1', ++lists === 1 ? 1 : 2, `create Pod db-1 in StatefulSet db failed error: ${QUOTA}`),
        ],
      }),
    );
  }

  test('short of pods, with a refusal since the first look: a failed-create verdict naming the StatefulSet', async () => {
    serve(1);
    const verdict = await watchDb(10_000);
    expect(verdict?.fault).toEqual({
      kind: 'failed-create',
      workload: 'StatefulSet db',
      detail: `FailedCreate: ${QUOTA}`,
    });
    expect(faultSubject(verdict!.fault)).toBe('StatefulSet db');
  });

  test('every pod there: the same refusal is history, no verdict', async () => {
    serve(2);
    const verdict = await watchDb(3_000);
    expect(verdict).toBeUndefined();
  });
});
