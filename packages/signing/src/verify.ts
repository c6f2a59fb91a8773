import type { Logger } from '@kubeline/runtime';
import type { Cosign } from './cosign.js';
import {
  triangulateArgs,
  verifyArgs,
  verifyAttestationArgs,
  type CommonOptions,
  type CosignVerifier,
} from './cosign-args.js';
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

/** cosign already checks the claims; we also require the signed payload to name this exact digest. */
function payloadNamesDigest(stdout: string, digest: string): boolean {
  try {
    const payloads = JSON.parse(stdout) as Array<{
      critical?: { image?: { 'docker-manifest-digest'?: string } };
    }>;
    return payloads.some((p) => p.critical?.image?.['docker-manifest-digest'] === digest);
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
  return Promise.all(
    targets.map(async (t): Promise<DigestResult> => {
      const r = await cosign.check(verifyArgs(verifier, t.ref, o));
      if (r.ok && payloadNamesDigest(r.stdout, t.digest)) {
        log.info(`verified ${t.ref} (${t.platform})`);
        return { ...t, signed: true, verified: true };
      }
      const reason = r.ok ? 'the signed payload names another digest' : r.reason;
      log.info(`NOT verified ${t.ref} (${t.platform}): ${reason}`);
      return { ...t, signed: reason !== 'no signature found', verified: false, reason };
    }),
  );
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
    const r = await cosign.check(verifyAttestationArgs(verifier, ref, type, o));
    if (r.ok) log.info(`verified the ${type} attestation of ${ref}`);
    else log.info(`NOT verified the ${type} attestation of ${ref}: ${r.reason}`);
    results.push({ type, ref, verified: r.ok, ...(r.ok ? {} : { reason: r.reason }) });
  }
  return results;
}

/** Where cosign keeps the signatures (or attestations) of a digest: `name:sha256-<hex>.sig|.att`. */
export async function triangulate(
  cosign: Cosign,
  ref: string,
  type: 'signature' | 'attestation',
  o: CommonOptions,
): Promise<string> {
  const { stdout } = await cosign.run(triangulateArgs(ref, type, o.registry), { silent: true });
  return stdout.trim();
}
