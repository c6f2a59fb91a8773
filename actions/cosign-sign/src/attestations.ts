import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@kubeline/runtime';
import type { AttestationType } from './inputs.js';
import { scannedDigests, toVulnPredicate } from './vuln-predicate.js';

export interface Attestation {
  type: AttestationType;
  /** The file given by the user. */
  source: string;
  /** The predicate file cosign reads (the source, or its conversion in the work dir). */
  predicate: string;
  /** For a vuln report: the digests trivy says it scanned (empty when it does not say). */
  scanned: string[];
}

function readJson(file: string, input: string): unknown {
  if (!fs.existsSync(file)) throw new InputError(input, file, 'no such file');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(input, file, `it is not JSON (${(e as Error).message})`);
  }
}

export function cyclonedxAttestation(file: string): Attestation {
  const doc = readJson(file, 'sbom') as { bomFormat?: unknown } | null;
  if (doc?.bomFormat !== 'CycloneDX')
    throw new InputError('sbom', file, 'it must be a CycloneDX JSON SBOM ("bomFormat": "CycloneDX")');
  return { type: 'cyclonedx', source: file, predicate: path.resolve(file), scanned: [] };
}

export function vulnAttestation(file: string, workDir: string): Attestation {
  const doc = readJson(file, 'vuln-report');
  const predicate = toVulnPredicate(doc, fs.statSync(file).mtime);
  if (!predicate)
    throw new InputError(
      'vuln-report',
      file,
      'it must be a trivy JSON report (trivy --format json) or a cosign vuln predicate',
    );
  const out = path.join(workDir, 'vuln-predicate.json');
  fs.writeFileSync(out, JSON.stringify(predicate), { mode: 0o600 });
  return { type: 'vuln', source: file, predicate: out, scanned: scannedDigests(predicate) };
}

/** The attestations a sign run attaches, validated before anything is signed. */
export function readAttestations(
  attach: { sbom?: string; vulnReport?: string },
  workDir: string,
): Attestation[] {
  return [
    ...(attach.sbom ? [cyclonedxAttestation(attach.sbom)] : []),
    ...(attach.vulnReport ? [vulnAttestation(attach.vulnReport, workDir)] : []),
  ];
}
