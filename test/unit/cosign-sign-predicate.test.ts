// cosign-sign: trivy JSON → cosign's vuln predicate, and the checks on the files to attest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cyclonedxAttestation, vulnAttestation } from '../../actions/cosign-sign/src/attestations.js';
import { scannedDigests, toVulnPredicate } from '../../actions/cosign-sign/src/vuln-predicate.js';
import { ROOT } from '../support/processes.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cosign-sign');
const report = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'trivy-report.json'), 'utf8')) as Record<
  string,
  unknown
>;
const scannedAt = new Date('2026-01-02T03:04:05.000Z');

describe('toVulnPredicate', () => {
  it('wraps a trivy report the way `trivy --format cosign-vuln` does', () => {
    expect(toVulnPredicate(report, scannedAt)).toEqual({
      invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
      scanner: {
        uri: 'pkg:github/aquasecurity/trivy@0.70.0',
        version: '0.70.0',
        db: { uri: '', version: '' },
        result: report,
      },
      metadata: {
        scanStartedOn: '2026-11-21T10:00:00.000000001Z',
        scanFinishedOn: '2026-11-21T10:00:00.000000001Z',
      },
    });
  });

  it('uses the file time when the report has no CreatedAt, and no version it does not know', () => {
    const { CreatedAt: _c, Trivy: _t, ...old } = report;
    const predicate = toVulnPredicate(old, scannedAt)!;
    expect(predicate.metadata.scanStartedOn).toBe('2026-01-02T03:04:05.000Z');
    expect(predicate.scanner.uri).toBe('pkg:github/aquasecurity/trivy');
    expect(predicate.scanner.version).toBe('');
  });

  it('keeps a cosign vuln predicate as it is', () => {
    const predicate = toVulnPredicate(report, scannedAt)!;
    expect(toVulnPredicate(JSON.parse(JSON.stringify(predicate)), new Date())).toEqual(predicate);
  });

  it('refuses anything else (a CycloneDX SBOM, a SARIF file)', () => {
    expect(toVulnPredicate({ bomFormat: 'CycloneDX' }, scannedAt)).toBeUndefined();
    expect(toVulnPredicate({ version: '2.1.0', runs: [] }, scannedAt)).toBeUndefined();
    expect(toVulnPredicate(null, scannedAt)).toBeUndefined();
  });

  it('reads the digests trivy says it scanned', () => {
    expect(scannedDigests(toVulnPredicate(report, scannedAt)!)).toEqual([`sha256:${'1'.repeat(64)}`]);
  });
});

describe('files to attest', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-att-'));
  const write = (name: string, text: string) => {
    const file = path.join(work, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('a vuln report becomes a private predicate file in the work dir', () => {
    const a = vulnAttestation(path.join(FIXTURES, 'trivy-report.json'), work);
    expect(a).toMatchObject({ type: 'vuln', predicate: path.join(work, 'vuln-predicate.json') });
    expect(fs.statSync(a.predicate).mode & 0o777).toBe(0o600);
    const written = JSON.parse(fs.readFileSync(a.predicate, 'utf8')) as { scanner: { result: unknown } };
    expect(written.scanner.result).toEqual(report);
  });

  it('the SBOM must be CycloneDX JSON', () => {
    expect(cyclonedxAttestation(path.join(FIXTURES, 'sbom.cdx.json')).type).toBe('cyclonedx');
    const spdx = write('spdx.json', '{"spdxVersion":"SPDX-2.3"}');
    expect(() => cyclonedxAttestation(spdx)).toThrow(
      `input "sbom": "${spdx}" is not valid; it must be a CycloneDX JSON SBOM ("bomFormat": "CycloneDX")`,
    );
  });

  it('missing or broken files are input errors naming the input and the path', () => {
    expect(() => cyclonedxAttestation(path.join(work, 'none.json'))).toThrow(
      `input "sbom": "${path.join(work, 'none.json')}" is not valid; no such file`,
    );
    const broken = write('broken.json', '{"SchemaVersion": 2,');
    expect(() => vulnAttestation(broken, work)).toThrow(
      /^input "vuln-report": ".*broken.json" is not valid; it is not JSON/,
    );
    const sbom = path.join(FIXTURES, 'sbom.cdx.json');
    expect(() => vulnAttestation(sbom, work)).toThrow(
      `input "vuln-report": "${sbom}" is not valid; it must be a trivy JSON report (trivy --format json) or a cosign vuln predicate`,
    );
  });
});
