// The gates in front of anything that puts an image in front of a cluster (helm-deploy's deploy,
// gitops-promote's commit): the scan evidence, then the signature, then — for `require-scan:
// attestation` — the vuln attestation verified with the signature's own trust.
import type { ImageContract } from '@kubeline/image';
import type { Logger } from '@kubeline/runtime';
import { attestedPredicates, requireSignature } from './gate.js';
import type { Verifier } from './identity.js';
import type { RegistryAccess } from './registry-access.js';
import { checkScan, checkScanEvidence, type ScanRequirement, type TrivyReport } from './scan-gate.js';

export interface ImageGates {
  verifier?: Verifier;
  scan: ScanRequirement;
  failOn: string[];
  tlog: boolean;
  workDir: string;
  log: Logger;
  /** What a refusal means, e.g. "nothing was deployed". */
  consequence: string;
  registry?: RegistryAccess;
}

/** Runs every gate asked for; each one passed is a line (logged here), a refusal throws. */
export async function checkImageGates(contract: ImageContract | undefined, g: ImageGates): Promise<string[]> {
  const gates: string[] = [];
  const scanLine = checkScan(g.scan, contract, g.failOn);
  if (scanLine) gates.push(scanLine);
  if (g.verifier && contract) {
    const o = {
      tlog: g.tlog,
      workDir: g.workDir,
      log: g.log,
      consequence: g.consequence,
      ...(g.registry ? { registry: g.registry } : {}),
    };
    gates.push(await requireSignature(contract, g.verifier, o));
    if (g.scan.kind === 'attestation') {
      const predicates = await attestedPredicates(contract, 'vuln', g.verifier, {
        ...o,
        gate: 'require-scan',
      });
      const reports = predicates.map((pr) => ({
        source: 'the vuln attestation',
        report: ((pr as { scanner?: { result?: TrivyReport } }).scanner?.result ?? {}) as TrivyReport,
      }));
      gates.push(checkScanEvidence(reports, contract, g.failOn));
    }
  }
  for (const line of gates) g.log.info(line);
  return gates;
}
