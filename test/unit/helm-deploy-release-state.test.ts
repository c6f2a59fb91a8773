import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeContract } from '@kubeline/image';
import { diffManifests } from '@kubeline/helm';
import type { HistoryEntry } from '@kubeline/helm';
import { pendingDecision } from '@kubeline/helm';
import { lastGood, withHealthy } from '@kubeline/helm';
import { LeaseObserver } from '@kubeline/kube';
import { aftermath } from '../../actions/helm-deploy/src/deploy-report.js';
import { checkScan, parseScanRequirement, parseSeverities } from '@kubeline/signing';

const h = (
  revision: number,
  status: HistoryEntry['status'],
  updated: string,
  description = '',
): HistoryEntry => ({
  revision,
  status,
  updated,
  chart: 'web-0.1.0',
  app_version: '1.0.0',
  description,
});

describe('dry-run-diff', () => {
  const live = `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  annotations:
    kubeline.dev/run-url: https://ci/1
data:
  message: hello
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: Secret
metadata:
  name: old
`;
  const next = `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  annotations:
    kubeline.dev/run-url: https://ci/2
data:
  message: bonjour
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    kubeline.dev/run-url: https://ci/2
spec:
  ports: [{ port: 80 }]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
`;
  it('names resources added, changed (with fields) and removed; kubeline annotations do not count', () => {
    expect(diffManifests(live, next, 'apps')).toEqual([
      { kind: 'ConfigMap', name: 'cfg', namespace: 'apps', change: 'changed', fields: ['data.message'] },
      { kind: 'Service', name: 'web', namespace: 'apps', change: 'unchanged' },
      { kind: 'Deployment', name: 'web', namespace: 'apps', change: 'added' },
      { kind: 'Secret', name: 'old', namespace: 'apps', change: 'removed' },
    ]);
  });
  it('a first install adds everything', () => {
    expect(diffManifests('', next, 'apps').every((c) => c.change === 'added')).toBe(true);
  });
});

describe('pending-release', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('leaves a settled release alone', () => {
    expect(pendingDecision('web', [h(1, 'deployed', '2026-01-01T11:00:00Z')], 60_000, now)).toEqual({
      action: 'none',
    });
    expect(pendingDecision('web', [], 60_000, now)).toEqual({ action: 'none' });
  });
  it('refuses a release pending for less than the grace period, saying why', () => {
    const d = pendingDecision(
      'web',
      [h(1, 'deployed', '2026-01-01T11:00:00Z'), h(2, 'pending-upgrade', '2026-01-01T11:59:30Z')],
      300_000,
      now,
    );
    expect(d).toEqual({
      action: 'refuse',
      message:
        'release web is pending-upgrade (revision 2) since 30s ago: another deploy may still be running; kubeline recovers it once it has been pending for pending-grace (5m0s)',
    });
  });
  it('rolls an old pending upgrade back to the last deployed revision', () => {
    const history = [
      h(1, 'superseded', '2026-01-01T10:00:00Z'),
      h(2, 'deployed', '2026-01-01T10:30:00Z'),
      h(3, 'pending-upgrade', '2026-01-01T11:00:00Z'),
    ];
    expect(pendingDecision('web', history, 300_000, now)).toMatchObject({
      action: 'rollback',
      to: 2,
      age: 3_600_000,
    });
  });
  it('uninstalls an old pending install that never deployed', () => {
    expect(
      pendingDecision('web', [h(1, 'pending-install', '2026-01-01T11:00:00Z')], 300_000, now),
    ).toMatchObject({ action: 'uninstall' });
  });
});

describe('release-record and lock', () => {
  const at = '2026-01-01T00:00:00Z';
  it('keeps healthy revisions newest first, one per revision', () => {
    let list = withHealthy([], { revision: 1, chart: 'c', at });
    list = withHealthy(list, { revision: 3, chart: 'c', at });
    list = withHealthy(list, { revision: 1, chart: 'c', at: 'again' });
    expect(list.map((x) => [x.revision, x.at])).toEqual([
      [3, at],
      [1, 'again'],
    ]);
  });
  it('last-good skips the current revision and revisions helm no longer has', () => {
    const healthy = [
      { revision: 5, chart: 'c', at },
      { revision: 4, chart: 'c', at },
      { revision: 2, chart: 'c', at },
    ];
    expect(lastGood(healthy, [3, 4, 5, 6], 5)?.revision).toBe(4);
    expect(lastGood(healthy, [5, 6], 5)).toBeUndefined();
  });
  it('a lease counts as expired only after the observer saw it unchanged for a whole duration', () => {
    const o = new LeaseObserver(60_000);
    const rec = { holder: 'a', renewTime: at, resourceVersion: '7' };
    // The holder's renewTime is long past by any wall clock: irrelevant, only observation counts.
    expect(o.observe(rec, 1_000)).toBe(60_000);
    expect(o.observe(rec, 31_000)).toBe(30_000);
    // A renewal (new resourceVersion) restarts the count.
    expect(o.observe({ ...rec, resourceVersion: '8' }, 50_000)).toBe(60_000);
    expect(o.observe({ ...rec, resourceVersion: '8' }, 110_000)).toBe(0);
    // A new holder too.
    expect(o.observe({ ...rec, holder: 'b', resourceVersion: '8' }, 111_000)).toBe(60_000);
  });
  it('a pending release whose run the lock says is gone is recovered at once, not after the grace', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const history = [
      h(1, 'deployed', '2026-01-01T11:00:00Z'),
      h(2, 'pending-upgrade', '2026-01-01T11:59:30Z'),
    ];
    expect(pendingDecision('web', history, 300_000, now, true)).toMatchObject({
      action: 'rollback',
      to: 1,
      why: 'release web has been pending-upgrade (revision 2) for 30s, and the deploy lock says the run that started it is gone',
    });
    expect(pendingDecision('web', history, 300_000, now, false)).toMatchObject({ action: 'refuse' });
  });
  it('says what became of a failed release', () => {
    const before = [h(1, 'deployed', at)];
    expect(
      aftermath(
        before,
        [h(1, 'superseded', at), h(2, 'failed', at), h(3, 'deployed', at, 'Rollback to 1')],
        true,
      ),
    ).toBe('rolled back to revision 1');
    expect(aftermath(before, [h(1, 'superseded', at), h(2, 'failed', at)], true)).toBe(
      'revision 2 is failed',
    );
    expect(aftermath([], [], true)).toBe('the failed install was removed');
    expect(aftermath(before, before, false)).toBeUndefined();
  });
});

describe('scan-gate', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const contract = makeContract({
    name: '127.0.0.1:5000/app',
    digest,
    tags: [],
    platforms: [],
    pushed: true,
    labels: {},
  });
  const report = (vulns: Array<{ VulnerabilityID: string; Severity: string }>, d = digest) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-scan-')), 'trivy.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ArtifactName: `127.0.0.1:5000/app@${d}`,
        Metadata: { RepoDigests: [`127.0.0.1:5000/app@${d}`] },
        Results: [{ Vulnerabilities: vulns }],
      }),
    );
    return file;
  };
  it('passes a report of this digest without findings of the gating severities', () => {
    const file = report([{ VulnerabilityID: 'CVE-1', Severity: 'HIGH' }]);
    expect(checkScan(parseScanRequirement(file), contract, ['CRITICAL'])).toContain(
      'with no CRITICAL finding',
    );
  });
  it('refuses findings, another digest, and a passed output (it names no digest)', () => {
    const critical = report([{ VulnerabilityID: 'CVE-9', Severity: 'CRITICAL' }]);
    expect(() => checkScan(parseScanRequirement(critical), contract, ['CRITICAL'])).toThrow(
      `require-scan: the scan of 127.0.0.1:5000/app@${digest} has 1 finding(s) of severity CRITICAL: CVE-9`,
    );
    const other = report([], `sha256:${'c'.repeat(64)}`);
    expect(() => checkScan(parseScanRequirement(other), contract, ['CRITICAL'])).toThrow(
      /is a scan of sha256:c+, not of 127\.0\.0\.1:5000\/app@sha256:b+/,
    );
    for (const passed of ['true', 'false'])
      expect(() => parseScanRequirement(passed)).toThrow(
        `input "require-scan": "${passed}" is not valid; trivy-scan's passed output names no digest`,
      );
    expect(checkScan(parseScanRequirement(''), contract, ['CRITICAL'])).toBe('');
  });
  it('an index: every platform must be scanned, by its own digest or as the platform trivy picked', () => {
    const amd = `sha256:${'1'.repeat(64)}`;
    const arm = `sha256:${'2'.repeat(64)}`;
    const index = {
      ...contract,
      platforms: [
        { platform: 'linux/amd64', digest: amd },
        { platform: 'linux/arm64', digest: arm },
      ],
    };
    const scanOf = (d: string, arch?: string) => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-scan-')), 'trivy.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          Metadata: {
            RepoDigests: [`127.0.0.1:5000/app@${d}`],
            ...(arch ? { ImageConfig: { os: 'linux', architecture: arch } } : {}),
          },
          Results: [],
        }),
      );
      return file;
    };
    const indexScan = scanOf(digest, 'amd64');
    expect(() => checkScan(parseScanRequirement(indexScan), index, ['CRITICAL'])).toThrow(
      `require-scan: no scan of linux/arm64 (${arm}) in ${indexScan}`,
    );
    const both = `${indexScan},${scanOf(arm, 'arm64')}`;
    expect(checkScan(parseScanRequirement(both), index, ['CRITICAL'])).toContain('with no CRITICAL finding');
  });
  it('checks severities and paths as inputs', () => {
    expect(parseSeverities(['critical', 'High'])).toEqual(['CRITICAL', 'HIGH']);
    expect(() => parseSeverities(['SEVERE'])).toThrow('input "scan-fail-on": "SEVERE" is not valid');
    expect(() => parseScanRequirement('/no/report.json')).toThrow(/input "require-scan"/);
  });
});
