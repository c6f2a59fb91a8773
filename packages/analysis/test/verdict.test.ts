// Judging a canary step: a sample's outcome, early abort, and the ledger's limits.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MetricSpec } from '../src/metrics.js';
import {
  AnalysisLedger,
  certainFailure,
  judge,
  type AnalysisPolicy,
  type Judgement,
  type Sample,
} from '../src/verdict.js';

const policy = (o: Partial<AnalysisPolicy> = {}): AnalysisPolicy => ({
  onNoData: 'inconclusive',
  minRequests: 20,
  failureLimit: 0,
  inconclusiveLimit: 0,
  errorLimit: 3,
  onInconclusive: 'fail',
  ...o,
});

const successRate: MetricSpec = { name: 'success-rate', kind: 'success-rate', query: 'q1', min: 99 };
const latency: MetricSpec = { name: 'latency-p99-ms', kind: 'latency', query: 'q2', max: 500 };
const custom: MetricSpec = { name: 'queue-depth', kind: 'custom', query: 'q3', min: 1, max: 10 };
const metrics = [successRate, latency, custom];

const sample = (o: Partial<Sample> = {}): Sample => ({
  at: Date.parse('2026-12-01T10:00:00Z'),
  windowMs: 60_000,
  values: { 'success-rate': 99.5, 'latency-p99-ms': 120, 'queue-depth': 5 },
  requests: 100,
  errors: 0,
  ...o,
});

describe('judge: one sample', () => {
  test('every metric within bounds is Successful', () => {
    expect(judge(metrics, sample(), policy())).toEqual({
      outcome: 'Successful',
      reason: 'every metric within bounds',
    });
  });

  test('no metric at all is Successful, and says so', () => {
    expect(judge([], sample({ values: {} }), policy())).toEqual({
      outcome: 'Successful',
      reason: 'no metric to check',
    });
  });

  test('a value exactly on a bound is within it', () => {
    const s = sample({ values: { 'success-rate': 99, 'latency-p99-ms': 500, 'queue-depth': 10 } });
    expect(judge(metrics, s, policy()).outcome).toBe('Successful');
  });

  test('below min fails, naming the metric, the value and the bound', () => {
    const s = sample({ values: { ...sample().values, 'success-rate': 97.25 } });
    expect(judge(metrics, s, policy())).toEqual({ outcome: 'Failed', reason: 'success-rate 97.25 < 99' });
  });

  test('above max fails, naming the metric, the value and the bound', () => {
    const s = sample({ values: { ...sample().values, 'latency-p99-ms': 812.4 } });
    expect(judge(metrics, s, policy())).toEqual({
      outcome: 'Failed',
      reason: 'latency-p99-ms 812.4 > 500',
    });
  });

  test('a value just past its bound never reads as equal to it', () => {
    const s = sample({ values: { ...sample().values, 'success-rate': 98.99612 } });
    expect(judge(metrics, s, policy()).reason).toBe('success-rate 98.9961 < 99');
  });

  test('an infinite p99 (above the last histogram bucket) breaks max', () => {
    const s = sample({ values: { ...sample().values, 'latency-p99-ms': Infinity } });
    expect(judge(metrics, s, policy({ onNoData: 'pass' }))).toEqual({
      outcome: 'Failed',
      reason: 'latency-p99-ms Infinity > 500',
    });
  });

  test('every breach is listed, min of a two-sided metric too', () => {
    const s = sample({ values: { 'success-rate': 50, 'latency-p99-ms': 501, 'queue-depth': 0.5 } });
    const j = judge(metrics, s, policy());
    expect(j.outcome).toBe('Failed');
    expect(j.reason).toBe('success-rate 50 < 99; latency-p99-ms 501 > 500; queue-depth 0.5 < 1');
  });

  test('a breach fails even with too few requests and other metrics missing', () => {
    const s = sample({ requests: 3, values: { 'latency-p99-ms': 900 } });
    expect(judge(metrics, s, policy({ onNoData: 'pass' }))).toEqual({
      outcome: 'Failed',
      reason: 'latency-p99-ms 900 > 500',
    });
  });

  test('fewer requests than min-requests is no data: inconclusive by default', () => {
    const j = judge(metrics, sample({ requests: 7 }), policy());
    expect(j).toEqual({
      outcome: 'Inconclusive',
      reason: '7 canary requests, fewer than min-requests 20',
    });
  });

  test('fewer requests than min-requests with on-no-data fail is Failed, and says why', () => {
    const j = judge(metrics, sample({ requests: 7 }), policy({ onNoData: 'fail' }));
    expect(j.outcome).toBe('Failed');
    expect(j.reason).toBe('7 canary requests, fewer than min-requests 20 (on-no-data: fail)');
  });

  test('fewer requests than min-requests with on-no-data pass is Successful, and says why', () => {
    const j = judge(metrics, sample({ requests: 0 }), policy({ onNoData: 'pass' }));
    expect(j.outcome).toBe('Successful');
    expect(j.reason).toBe('0 canary requests, fewer than min-requests 20 (on-no-data: pass)');
  });

  test('exactly min-requests is enough; min-requests 0 checks nothing', () => {
    expect(judge(metrics, sample({ requests: 20 }), policy()).outcome).toBe('Successful');
    expect(judge(metrics, sample({ requests: 0 }), policy({ minRequests: 0 })).outcome).toBe('Successful');
  });

  test('no request count (provider none) does not apply min-requests', () => {
    const s = sample({ requests: undefined, errors: undefined });
    expect(judge(metrics, s, policy({ minRequests: 1000 })).outcome).toBe('Successful');
  });

  test('a metric without a value is no data, naming every missing metric', () => {
    const s = sample({ values: { 'success-rate': 100 } });
    expect(judge(metrics, s, policy())).toEqual({
      outcome: 'Inconclusive',
      reason: 'no data for latency-p99-ms, queue-depth',
    });
    expect(judge(metrics, s, policy({ onNoData: 'fail' }))).toEqual({
      outcome: 'Failed',
      reason: 'no data for latency-p99-ms, queue-depth (on-no-data: fail)',
    });
    expect(judge(metrics, s, policy({ onNoData: 'pass' })).outcome).toBe('Successful');
  });

  test('an error sample is an Error with its reason, whatever the values say', () => {
    const s = sample({ error: 'Prometheus http://prom:9090 could not be queried: ECONNREFUSED' });
    expect(judge(metrics, s, policy())).toEqual({
      outcome: 'Error',
      reason: 'Prometheus http://prom:9090 could not be queried: ECONNREFUSED',
    });
    const bad = sample({ error: 'boom', values: { 'success-rate': 1 } });
    expect(judge(metrics, bad, policy()).outcome).toBe('Error');
  });
});

describe('certainFailure: early abort on the success rate', () => {
  const tenSeconds = (requests: number, errors: number) => sample({ windowMs: 10_000, requests, errors });

  test('3 errors in 40 requests over 10 s of a 60 s interval exceed a 99% budget (2.4)', () => {
    const why = certainFailure([successRate, latency], tenSeconds(40, 3), 60_000);
    expect(why).toBe(
      '3 of 40 canary requests failed in 10s: more than success-rate 99% allows for the whole 60s interval',
    );
  });

  test('2 errors are within the budget: not certain', () => {
    expect(certainFailure([successRate], tenSeconds(40, 2), 60_000)).toBeUndefined();
  });

  test('the budget scales with the part of the interval not yet seen', () => {
    // Over the whole interval the budget is 0.4 errors: one error is already too many.
    expect(
      certainFailure([successRate], sample({ windowMs: 60_000, requests: 40, errors: 1 }), 60_000),
    ).toEqual(expect.stringContaining('1 of 40 canary requests failed in 60s'));
    // A window longer than the interval is not scaled down.
    expect(
      certainFailure([successRate], sample({ windowMs: 120_000, requests: 400, errors: 4 }), 60_000),
    ).toBeUndefined();
    expect(
      certainFailure([successRate], sample({ windowMs: 120_000, requests: 400, errors: 5 }), 60_000),
    ).toBeDefined();
  });

  test('no error is never a certain failure, even with min 100', () => {
    const strict = { ...successRate, min: 100 };
    expect(certainFailure([strict], tenSeconds(40, 0), 60_000)).toBeUndefined();
    expect(certainFailure([strict], tenSeconds(40, 1), 60_000)).toBeDefined();
  });

  test('no requests, no counts or an error sample: undefined', () => {
    expect(certainFailure([successRate], tenSeconds(0, 3), 60_000)).toBeUndefined();
    expect(
      certainFailure([successRate], sample({ requests: undefined, errors: undefined }), 60_000),
    ).toBeUndefined();
    expect(
      certainFailure([successRate], { ...tenSeconds(40, 30), error: 'Prometheus away' }, 60_000),
    ).toBeUndefined();
  });

  test('without a success-rate metric (or one without min): undefined', () => {
    expect(certainFailure([latency, custom], tenSeconds(40, 30), 60_000)).toBeUndefined();
    const noMin: MetricSpec = { name: 'success-rate', kind: 'success-rate', query: 'q', max: 100 };
    expect(certainFailure([noMin], tenSeconds(40, 30), 60_000)).toBeUndefined();
    // A custom metric named like the built-in one is not read as a success rate.
    const look: MetricSpec = { name: 'success-rate', kind: 'custom', query: 'q', min: 99 };
    expect(certainFailure([look], tenSeconds(40, 30), 60_000)).toBeUndefined();
  });
});

const ok: Judgement = { outcome: 'Successful', reason: 'every metric within bounds' };
const failed: Judgement = { outcome: 'Failed', reason: 'success-rate 90 < 99' };
const unsure: Judgement = { outcome: 'Inconclusive', reason: 'no data for latency-p99-ms' };
const error: Judgement = { outcome: 'Error', reason: 'Prometheus away' };

describe('AnalysisLedger: limits across the rollout', () => {
  test('a Successful measurement advances', () => {
    expect(new AnalysisLedger(policy()).record(ok)).toEqual({ action: 'advance' });
  });

  test('failure-limit 0: the first Failed aborts, with the reason and the count', () => {
    const ledger = new AnalysisLedger(policy({ failureLimit: 0 }));
    expect(ledger.record(failed)).toEqual({
      action: 'abort',
      result: 'aborted',
      why: 'success-rate 90 < 99 (failed measurements: 1, failure-limit 0)',
    });
  });

  test('failure-limit 1: the first Failed repeats the step, the second aborts', () => {
    const ledger = new AnalysisLedger(policy({ failureLimit: 1 }));
    expect(ledger.record(failed)).toEqual({ action: 'repeat' });
    expect(ledger.record(failed)).toMatchObject({ action: 'abort', result: 'aborted' });
    expect(ledger.failed).toBe(2);
  });

  test('failures count across the rollout: a success in between does not reset them', () => {
    const ledger = new AnalysisLedger(policy({ failureLimit: 1 }));
    expect(ledger.record(failed).action).toBe('repeat');
    expect(ledger.record(ok).action).toBe('advance');
    expect(ledger.record(failed)).toMatchObject({ action: 'abort', result: 'aborted' });
  });

  test('inconclusive within inconclusive-limit repeats, then on-inconclusive fail aborts', () => {
    const ledger = new AnalysisLedger(policy({ inconclusiveLimit: 1, onInconclusive: 'fail' }));
    expect(ledger.record(unsure)).toEqual({ action: 'repeat' });
    expect(ledger.record(unsure)).toEqual({
      action: 'abort',
      result: 'inconclusive',
      why: 'no data for latency-p99-ms (inconclusive measurements: 2, inconclusive-limit 1)',
    });
  });

  test('inconclusive with on-inconclusive promote advances, with a note', () => {
    const ledger = new AnalysisLedger(policy({ onInconclusive: 'promote' }));
    expect(ledger.record(unsure)).toEqual({
      action: 'advance',
      note: 'inconclusive: no data for latency-p99-ms; advanced (on-inconclusive: promote)',
    });
  });

  test('inconclusive with on-inconclusive wait-approval pauses, saying why', () => {
    const ledger = new AnalysisLedger(policy({ onInconclusive: 'wait-approval' }));
    const d = ledger.record(unsure);
    expect(d.action).toBe('pause');
    expect(d).toEqual({
      action: 'pause',
      why: 'no data for latency-p99-ms: waiting for approval (on-inconclusive: wait-approval)',
    });
  });

  test('error-limit 2: two errors resample, the third aborts with result error', () => {
    const ledger = new AnalysisLedger(policy({ errorLimit: 2 }));
    expect(ledger.record(error)).toEqual({ action: 'resample' });
    expect(ledger.record(error)).toEqual({ action: 'resample' });
    expect(ledger.record(error)).toEqual({
      action: 'abort',
      result: 'error',
      why: '3 measurements in a row could not be taken (error-limit 2): Prometheus away',
    });
  });

  test('error-limit 0: the first error aborts', () => {
    expect(new AnalysisLedger(policy({ errorLimit: 0 })).record(error)).toMatchObject({
      action: 'abort',
      result: 'error',
    });
  });

  test('a measurement taken (Successful) resets consecutive errors', () => {
    const ledger = new AnalysisLedger(policy({ errorLimit: 2 }));
    ledger.record(error);
    ledger.record(error);
    expect(ledger.consecutiveErrors).toBe(2);
    expect(ledger.record(ok)).toEqual({ action: 'advance' });
    expect(ledger.consecutiveErrors).toBe(0);
    expect(ledger.record(error)).toEqual({ action: 'resample' });
    expect(ledger.record(error)).toEqual({ action: 'resample' });
    expect(ledger.record(error).action).toBe('abort');
  });

  test('a Failed or Inconclusive measurement also resets consecutive errors', () => {
    const ledger = new AnalysisLedger(policy({ errorLimit: 1, failureLimit: 5, inconclusiveLimit: 5 }));
    ledger.record(error);
    expect(ledger.record(failed).action).toBe('repeat');
    expect(ledger.record(error).action).toBe('resample');
    expect(ledger.record(unsure).action).toBe('repeat');
    expect(ledger.record(error).action).toBe('resample');
    expect(ledger.consecutiveErrors).toBe(1);
  });
});

describe('properties', () => {
  const outcome = fc.constantFrom<Judgement>(ok, failed, unsure, error);
  const limits = fc.record({
    failureLimit: fc.integer({ min: 0, max: 5 }),
    inconclusiveLimit: fc.integer({ min: 0, max: 5 }),
    errorLimit: fc.integer({ min: 0, max: 5 }),
    onInconclusive: fc.constantFrom<AnalysisPolicy['onInconclusive']>('fail', 'promote', 'wait-approval'),
  });

  test('the ledger aborts exactly when a count first goes over its limit', () => {
    fc.assert(
      fc.property(limits, fc.array(outcome, { maxLength: 40 }), (l, seq) => {
        const ledger = new AnalysisLedger(policy(l));
        let failures = 0;
        let inconclusive = 0;
        let errors = 0;
        for (const j of seq) {
          const d = ledger.record(j);
          if (j.outcome === 'Error') errors++;
          else errors = 0;
          if (j.outcome === 'Failed') failures++;
          if (j.outcome === 'Inconclusive') inconclusive++;
          if (d.action === 'abort') {
            if (d.result === 'aborted') expect(failures).toBe(l.failureLimit + 1);
            if (d.result === 'error') expect(errors).toBe(l.errorLimit + 1);
            if (d.result === 'inconclusive') {
              expect(l.onInconclusive).toBe('fail');
              expect(inconclusive).toBe(l.inconclusiveLimit + 1);
            }
            return;
          }
          // Not aborted: no limit the outcome counts against was exceeded.
          if (j.outcome === 'Failed') expect(failures).toBeLessThanOrEqual(l.failureLimit);
          if (j.outcome === 'Error') expect(errors).toBeLessThanOrEqual(l.errorLimit);
          if (j.outcome === 'Successful') expect(d).toEqual({ action: 'advance' });
        }
      }),
    );
  });

  test('judge never passes a sample in which some value breaks its bound', () => {
    const metric = fc
      .record({
        min: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
        max: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
        value: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: undefined }),
      })
      .filter((m) => m.min !== undefined || m.max !== undefined);
    fc.assert(
      fc.property(
        fc.array(metric, { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        fc.constantFrom<AnalysisPolicy['onNoData']>('inconclusive', 'fail', 'pass'),
        (ms, requests, onNoData) => {
          const specs: MetricSpec[] = ms.map((m, i) => ({
            name: `m${i}`,
            query: 'q',
            min: m.min,
            max: m.max,
          }));
          const values = Object.fromEntries(ms.map((m, i) => [`m${i}`, m.value]));
          const j = judge(specs, sample({ values, requests }), policy({ onNoData }));
          const broken = ms.some(
            (m) =>
              m.value !== undefined &&
              ((m.min !== undefined && m.value < m.min) || (m.max !== undefined && m.value > m.max)),
          );
          if (broken) {
            expect(j.outcome).toBe('Failed');
            expect(j.reason).toMatch(/^m\d+ \S+ [<>] \S+/);
          }
          if (j.outcome === 'Successful' && onNoData !== 'pass') {
            expect(ms.every((m) => m.value !== undefined)).toBe(true);
            expect(requests === undefined || requests >= 20).toBe(true);
          }
        },
      ),
    );
  });
});
