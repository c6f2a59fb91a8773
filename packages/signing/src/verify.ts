import type { Logger } from '@kubeline/runtime';
import type { Cosign } from './cosign.js';
import { SIGNATURE_PREDICATE } from './locations.js';
import { verifyArgs, verifyAttestationArgs, type CommonOptions, type CosignVerifier } from './cosign-args.js';
import type { Target } from './targets.js';

export interface DigestResult extends Target {
  /** A signature exists (it may still fail to verify). */
  signed: boolean;
  verified: boolean;
  reason?: string;
}

export interface AttestationResult {
  type: string;
  ref: string;
  verified: boolean;
  reason?: string;
}

/** A cosign 2 simple-signing payload, and a cosign 3 bundle's statement as cosign prints it. */
const SIGNATURE_TYPES = new Set(['cosign container image signature', SIGNATURE_PREDICATE]);

/**
 * cosign already checks the claims; we also require a signed payload that is a signature (cosign 3's
 * verify accepts any bundle, an attestation alone included) and names this exact digest.
 */
export function payloadNamesDigest(stdout: string, digest: string): boolean {
  try {
    const payloads = JSON.parse(stdout) as Array<{
      critical?: { type?: string; image?: { 'docker-manifest-digest'?: string } };
    }>;
    return payloads.some(
      (p) =>
        SIGNATURE_TYPES.has(p.critical?.type ?? '') &&
        p.critical?.image?.['docker-manifest-digest'] === digest,
    );
  } catch {
    return false;
  }
}

export async function verifyTargets(
  cosign: Cosign,
  verifier: CosignVerifier,
  targets: Target[],
  o: CommonOptions,
  log: Logger,
): Promise<DigestResult[]> {
  // Each digest is its own cosign run against the registry: they go in parallel, reported in order.
  return Promise.all(targets.map((t) => verifyTarget(cosign, verifier, t, o, log)));
}

async function verifyTarget(
  cosign: Cosign,
  verifier: CosignVerifier,
  t: Target,
  o: CommonOptions,
  log: Logger,
): Promise<DigestResult> {
  let r = await cosign.check(verifyArgs(verifier, t.ref, o), 'signature');
  let verified = r.ok && payloadNamesDigest(r.stdout, t.digest);
  if (!verified && o.major === 3) {
    // A cosign 2 signature beside cosign 3 bundles (an attestation added later) is checked on its own.
    const legacy = await cosign.check(verifyArgs(verifier, t.ref, o, true), 'signature');
    if (legacy.ok && payloadNamesDigest(legacy.stdout, t.digest)) [r, verified] = [legacy, true];
  }
  if (verified) {
    log.info(`verified ${t.ref} (${t.platform})`);
    return { ...t, signed: true, verified: true };
  }
  const reason = r.ok ? 'no signed payload is a signature of this digest' : r.reason;
  log.info(`NOT verified ${t.ref} (${t.platform}): ${reason}`);
  return { ...t, signed: reason !== 'no signature found', verified: false, reason };
}

export async function verifyAttestations(
  cosign: Cosign,
  verifier: CosignVerifier,
  ref: string,
  types: string[],
  o: CommonOptions,
  log: Logger,
): Promise<AttestationResult[]> {
  const results: AttestationResult[] = [];
  for (const type of types) {
    const r = await cosign.check(verifyAttestationArgs(verifier, ref, type, o), 'attestation');
    if (r.ok) log.info(`verified the ${type} attestation of ${ref}`);
    else log.info(`NOT verified the ${type} attestation of ${ref}: ${r.reason}`);
    results.push({ type, ref, verified: r.ok, ...(r.ok ? {} : { reason: r.reason }) });
  }
  return results;
}
