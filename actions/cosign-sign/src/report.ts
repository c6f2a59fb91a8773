import type { Summary } from '@kubeline/runtime';
import type { AttestationResult, DigestResult } from '@kubeline/signing';

export interface Report {
  mode: 'sign' | 'verify';
  name: string;
  /** How signatures were checked, for the reader: `key cosign.pub`, `identity … (issuer …)`. */
  verifiedBy: string;
  cosignVersion: string;
  digests: DigestResult[];
  attestations: AttestationResult[];
  /** Attestation type → the file it was made from (sign mode). */
  sources: Record<string, string>;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function allVerified(r: Pick<Report, 'digests' | 'attestations'>): boolean {
  return r.digests.every((d) => d.verified) && r.attestations.every((a) => a.verified);
}

/** The first failure as one line naming the digest (or attestation) and why. */
export function firstFailure(r: Pick<Report, 'digests' | 'attestations'>): string | undefined {
  const failed = [
    ...r.digests.filter((d) => !d.verified).map((d) => `${d.ref}: ${d.reason}`),
    ...r.attestations
      .filter((a) => !a.verified)
      .map((a) => `the ${a.type} attestation of ${a.ref}: ${a.reason}`),
  ];
  if (!failed.length) return undefined;
  return `verification failed for ${failed[0]}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}`;
}

export function writeReport(summary: Summary, r: Report): void {
  summary
    .heading(`kubeline cosign-sign: ${r.mode} ${r.name}`)
    .text(
      `Verified by ${r.verifiedBy} with cosign ${r.cosignVersion}: **${allVerified(r) ? 'passed' : 'FAILED'}**`,
    )
    .table(
      ['platform', 'digest', 'signed', 'verified'],
      r.digests.map((d) => [
        d.platform,
        `\`${d.digest}\``,
        yesNo(d.signed),
        d.verified ? 'yes' : `no: ${d.reason ?? ''}`,
      ]),
    );
  if (r.attestations.length) {
    summary.table(
      ['attestation type', 'from', 'verified'],
      r.attestations.map((a) => [
        a.type,
        r.sources[a.type] ?? '',
        a.verified ? 'yes' : `no: ${a.reason ?? ''}`,
      ]),
    );
  }
}
