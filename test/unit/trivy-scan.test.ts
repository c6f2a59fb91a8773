// trivy-scan's pure logic, on reports recorded from the real trivy 0.70 (test/fixtures/trivy-scan/*.json:
// the vuln fixture scanned with the fictional DB, and the config fixtures).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@kubeline/runtime';
import { countBySeverity, evaluateGate, worstFirst } from '../../actions/trivy-scan/src/gate.js';
import { toGitLabContainerScanning } from '../../actions/trivy-scan/src/gitlab-report.js';
import { inputSpec } from '../../actions/trivy-scan/src/inputs.js';
import { cacheInside } from '../../actions/trivy-scan/src/locations.js';
import { describeSeverities, parseSeverityList } from '../../actions/trivy-scan/src/severity.js';
import { needsVulnDb, scanArgs, type ScanPlan } from '../../actions/trivy-scan/src/trivy-args.js';
import { collectFindings, maxCvssV3, type TrivyReport } from '../../actions/trivy-scan/src/trivy-report.js';
import { dbState, downloadFailureReason } from '../../actions/trivy-scan/src/vuln-db.js';
import { ROOT } from '../support/processes.js';

const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', name);
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const fsReport = readJson<TrivyReport>(fixture('trivy-scan/fs-report.json'));
const configReport = readJson<TrivyReport>(fixture('trivy-scan/config-report.json'));
const expected = readJson<{
  vulnerabilities: Array<{ id: string; severity: string; cvssV3Score: number; fixed: string }>;
  severityCounts: { all: Record<string, number> };
}>(fixture('vuln-image/expected.json'));

describe('fail-on severities', () => {
  it('accepts any case and order, keeps worst first, and `none` disables the severity gate', () => {
    expect(parseSeverityList('high, Critical', 'fail-on')).toEqual(['CRITICAL', 'HIGH']);
    expect(parseSeverityList('LOW\nMEDIUM', 'fail-on')).toEqual(['MEDIUM', 'LOW']);
    expect(parseSeverityList('none', 'fail-on')).toEqual([]);
  });

  it('an unknown severity is one input error listing the allowed ones', () => {
    expect(() => parseSeverityList('CRITICAL, SEVERE', 'fail-on')).toThrow(InputError);
    expect(() => parseSeverityList('CRITICAL, SEVERE', 'fail-on')).toThrow(
      'input "fail-on": "CRITICAL, SEVERE" is not valid; allowed: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (a list), or none',
    );
  });

  it('reads as a threshold when it is one', () => {
    expect(describeSeverities(['CRITICAL'])).toBe('at or above CRITICAL');
    expect(describeSeverities(['CRITICAL', 'HIGH'])).toBe('at or above HIGH');
    expect(describeSeverities(['CRITICAL', 'LOW'])).toBe('of severity CRITICAL or LOW');
  });

  it('formats and scanners are checked against their allowed values', () => {
    expect(inputSpec.formats.parse('SARIF, json,gitlab', 'formats')).toEqual(['json', 'sarif', 'gitlab']);
    expect(() => inputSpec.formats.parse('sarif, html', 'formats')).toThrow(
      'input "formats": "sarif, html" is not valid; allowed: a list of json, sarif, cyclonedx, gitlab',
    );
    expect(() => inputSpec.scanners.parse('vuln,virus', 'scanners')).toThrow(
      /allowed: a list of vuln, secret/,
    );
  });
});

describe('findings and counts', () => {
  const findings = collectFindings(fsReport);

  it('every vulnerability of expected.json, with its highest CVSS v3 score', () => {
    expect(findings.map((f) => [f.id, f.severity, f.cvss, f.fixed]).sort()).toEqual(
      expected.vulnerabilities.map((v) => [v.id, v.severity, v.cvssV3Score, v.fixed]).sort(),
    );
  });

  it('counts per severity match expected.json', () => {
    expect(countBySeverity(findings)).toEqual({ ...expected.severityCounts.all, UNKNOWN: 0 });
  });

  it('CVSS: the highest v3 score over every source; none when no source has one', () => {
    expect(maxCvssV3({ CVSS: { nvd: { V3Score: 7.5 }, redhat: { V3Score: 8.1 } } })).toBe(8.1);
    expect(maxCvssV3({ CVSS: { nvd: {} } })).toBeUndefined();
    expect(maxCvssV3({})).toBeUndefined();
  });

  it('misconfigurations that failed become findings at file:line', () => {
    const config = collectFindings(configReport);
    expect(config.every((f) => f.kind === 'misconfiguration')).toBe(true);
    expect(config).toContainEqual(
      expect.objectContaining({ id: 'DS-0002', severity: 'HIGH', target: 'Dockerfile', line: 5 }),
    );
    expect(config).toContainEqual(
      expect.objectContaining({ id: 'KSV-0017', target: 'k8s/deployment.yaml', line: 17 }),
    );
    expect(config.some((f) => f.target === 'chart/templates/pod.yaml')).toBe(true);
  });

  it('sorts worst first: severity, then CVSS', () => {
    expect([...findings].sort(worstFirst).map((f) => f.id)).toEqual([
      'CVE-2099-0001',
      'CVE-2099-0006',
      'CVE-2099-0002',
      'CVE-2099-0005',
      'CVE-2099-0003',
      'CVE-2099-0004',
    ]);
  });
});

describe('the gate', () => {
  const findings = collectFindings(fsReport);

  it('fails on CRITICAL by default with one line naming the findings', () => {
    const gate = evaluateGate(findings, { failOn: ['CRITICAL'] });
    expect(gate.passed).toBe(false);
    expect(gate.message).toBe('1 finding at or above CRITICAL: CVE-2099-0001');
  });

  it('HIGH and CRITICAL', () => {
    expect(evaluateGate(findings, { failOn: ['CRITICAL', 'HIGH'] }).message).toBe(
      '3 findings at or above HIGH: CVE-2099-0001, CVE-2099-0006, CVE-2099-0002',
    );
  });

  it('a CVSS threshold alone, or with severities', () => {
    expect(evaluateGate(findings, { failOn: [], failOnCvss: 8 }).message).toBe(
      '2 findings with CVSS v3 ≥ 8.0: CVE-2099-0001, CVE-2099-0006',
    );
    expect(evaluateGate(findings, { failOn: ['LOW'], failOnCvss: 9.8 }).message).toBe(
      '2 findings of severity LOW or with CVSS v3 ≥ 9.8: CVE-2099-0001, CVE-2099-0004',
    );
    expect(evaluateGate(findings, { failOn: [], failOnCvss: 9.9 })).toEqual({
      passed: true,
      failing: [],
      message: '',
    });
  });

  it('lists at most ten ids', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      ...findings[0]!,
      id: `CVE-2099-1${i}`,
      severity: 'HIGH',
    }));
    expect(evaluateGate(many, { failOn: ['CRITICAL', 'HIGH'] }).message).toMatch(
      /^12 findings at or above HIGH: .*, … \(2 more\)$/,
    );
  });
});

describe('the GitLab container scanning report', () => {
  const image = `127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`;
  const ctx = {
    image,
    trivyVersion: '0.70.0',
    kubelineVersion: '0.1.0',
    startedAt: new Date('2099-01-01T10:00:00.123Z'),
    finishedAt: new Date('2099-01-01T10:00:05Z'),
  };
  const doc = toGitLabContainerScanning(fsReport, ctx);

  it('has the scan object schema 15 requires', () => {
    expect(doc.version).toMatch(/^15\./);
    expect(doc.scan).toEqual(
      expect.objectContaining({ start_time: '2099-01-01T10:00:00', end_time: '2099-01-01T10:00:05' }),
    );
    expect(doc.scan.type).toBe('container_scanning');
    expect(doc.scan.status).toBe('success');
    for (const t of [doc.scan.analyzer, doc.scan.scanner])
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['id', 'name', 'version', 'vendor']));
  });

  it('one entry per vulnerability with the required id, identifiers and location', () => {
    expect(doc.vulnerabilities).toHaveLength(6);
    const ssl = doc.vulnerabilities.find((v) => v.identifiers[0]!.value === 'CVE-2099-0001')!;
    expect(ssl).toEqual(
      expect.objectContaining({
        severity: 'Critical',
        solution: 'Upgrade fixture-ssl to 3.1.1-r0',
        location: {
          dependency: { package: { name: 'fixture-ssl' }, version: '3.1.0-r0' },
          operating_system: 'alpine 3.22.2',
          image,
        },
      }),
    );
    expect(ssl.identifiers[0]).toEqual(expect.objectContaining({ type: 'cve', name: 'CVE-2099-0001' }));
    expect(ssl.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(toGitLabContainerScanning(fsReport, ctx).vulnerabilities[0]!.id).toBe(doc.vulnerabilities[0]!.id);
    const unfixed = doc.vulnerabilities.find((v) => v.identifiers[0]!.value === 'CVE-2099-0006')!;
    expect(unfixed.solution).toBe('No solution provided');
  });
});

describe('the trivy command line', () => {
  const plan: ScanPlan = {
    scanType: 'image',
    target: { kind: 'registry', ref: `127.0.0.1:5000/app@sha256:${'b'.repeat(64)}` },
    cacheDir: '/c',
    output: '/o/trivy-report.json',
    dbRepositories: ['127.0.0.1:5000/db:2'],
    javaDbRepositories: [],
    scanners: [],
    ignoreUnfixed: true,
    timeoutMs: 90_000,
  };

  it('an image scan reaches nothing but the registry: every network-facing feature is off', () => {
    const args = scanArgs(plan);
    expect(args[0]).toBe('image');
    for (const flag of [
      '--skip-version-check',
      '--disable-telemetry',
      '--skip-db-update',
      '--skip-java-db-update',
      '--skip-check-update',
      '--offline-scan',
      '--no-progress',
      '--ignore-unfixed',
    ])
      expect(args).toContain(flag);
    expect(args.slice(-3)).toEqual([
      '--image-src',
      'remote',
      plan.target.kind === 'registry' ? plan.target.ref : '',
    ]);
    expect(args.join(' ')).toContain('--timeout 90s');
  });

  it('a config scan takes only the flags trivy config knows, and needs no DB', () => {
    const args = scanArgs({ ...plan, scanType: 'config', target: { kind: 'path', path: '/repo' } });
    expect(args).not.toContain('--skip-db-update');
    expect(args).not.toContain('--no-progress');
    expect(args).toContain('--skip-check-update');
    expect(needsVulnDb('config', [])).toBe(false);
    expect(needsVulnDb('image', ['secret'])).toBe(false);
    expect(needsVulnDb('sbom', [])).toBe(true);
  });

  it('a cache kept inside the scanned folder is skipped, one elsewhere is not named', () => {
    expect(cacheInside('/builds/app', '/builds/app/.kubeline-cache/trivy')).toEqual([
      '/builds/app/.kubeline-cache/trivy',
    ]);
    expect(cacheInside('/builds/app/src', '/builds/app/.kubeline-cache/trivy')).toEqual([]);
    expect(cacheInside('/builds/app', '/builds/app-cache/trivy')).toEqual([]); // a prefix, not inside
    expect(cacheInside('/builds/app', '/builds/app')).toEqual([]);
    const fsPlan = { ...plan, scanType: 'fs' as const, target: { kind: 'path' as const, path: '/repo' } };
    const args = scanArgs({ ...fsPlan, skipDirs: ['/repo/.kubeline-cache/trivy'] });
    expect(args.slice(-3)).toEqual(['--skip-dirs', '/repo/.kubeline-cache/trivy', '/repo']);
  });

  it('the Java DB is skipped unless repositories are given', () => {
    const args = scanArgs({ ...plan, javaDbRepositories: ['127.0.0.1:5000/java-db:1'] });
    expect(args).not.toContain('--skip-java-db-update');
    expect(args.join(' ')).toContain('--java-db-repository 127.0.0.1:5000/java-db:1');
  });
});

describe('the cached vulnerability DB', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-trivy-db-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'db'));
  fs.writeFileSync(path.join(dir, 'db', 'trivy.db'), '');
  const now = new Date('2099-06-01T12:00:00Z');

  it('is used as trivy would: until NextUpdate, or for an hour after a download', () => {
    expect(dbState(undefined, dir, now)).toBe('missing');
    expect(dbState({ Version: 2, NextUpdate: '2099-06-02T00:00:00Z' }, dir, now)).toBe('fresh');
    expect(
      dbState(
        { Version: 2, NextUpdate: '2099-06-01T00:00:00Z', DownloadedAt: '2099-06-01T11:30:00Z' },
        dir,
        now,
      ),
    ).toBe('fresh');
    expect(
      dbState(
        { Version: 2, NextUpdate: '2099-06-01T00:00:00Z', DownloadedAt: '2099-06-01T10:00:00Z' },
        dir,
        now,
      ),
    ).toBe('stale');
    expect(dbState({ Version: 1, NextUpdate: '2100-01-01T00:00:00Z' }, dir, now)).toBe('stale');
  });

  it('download failures are named in a few words', () => {
    expect(
      downloadFailureReason(
        'FATAL ... GET https://ghcr.io/v2/x/manifests/2: TOOMANYREQUESTS: retry-after: 1s',
      ),
    ).toBe('rate limited: TOOMANYREQUESTS');
    expect(downloadFailureReason('dial tcp 127.0.0.1:1: connect: connection refused')).toBe(
      'connection refused',
    );
    expect(downloadFailureReason('MANIFEST_UNKNOWN: manifest unknown')).toBe('not found');
  });
});
