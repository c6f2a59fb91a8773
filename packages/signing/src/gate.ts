// A deploy gate's check: every digest that will run (the image and each platform manifest) carries a
// signature by the expected key or identity. helm-deploy, canary-promote and gitops-promote refuse
// the image with one line naming the first digest that does not.
import { UserError, type Logger } from '@kubeline/runtime';
import { ensureTool } from '@kubeline/tools';
import type { ImageContract } from '@kubeline/image';
import { verifyAttestationArgs, type CommonOptions } from './cosign-args.js';
import { Cosign, writeOfflineTrustedRoot } from './cosign.js';
import type { Verifier } from './identity.js';
import type { RegistryAccess } from './registry-access.js';
import { signTargets } from './targets.js';
import { resolveVerifier } from './verifier.js';
import { verifyTargets } from './verify.js';

export interface GateOptions {
  /** Require a transparency-log entry (false: key-based signatures made offline). */
  tlog: boolean;
  /** The run's private folder, for a key given as PEM text. */
  workDir: string;
  log: Logger;
  /** What the refusal says was not done, e.g. "nothing was deployed". */
  consequence: string;
  /** A private registry's login and CA (registryAccess); the docker config's login otherwise. */
  registry?: RegistryAccess;
}

/** Returns the line for the log; throws a one-line UserError when a digest is not signed. */
async function gateCosign(verifier: Verifier, o: GateOptions) {
  const tool = await ensureTool('cosign', 'default', 'cosign');
  const cosign = new Cosign(tool.path, tool.version, o.registry?.env ?? {}, []);
  const resolved = resolveVerifier(verifier, o.workDir);
  const options: CommonOptions = { major: cosign.major, tlog: o.tlog, registry: o.registry?.cosign ?? {} };
  if (resolved.keyBased && !o.tlog) options.trustedRoot = writeOfflineTrustedRoot(o.workDir);
  return { cosign, resolved, options };
}

export async function requireSignature(
  contract: ImageContract,
  verifier: Verifier,
  o: GateOptions,
): Promise<string> {
  const { cosign, resolved, options } = await gateCosign(verifier, o);
  const results = await verifyTargets(cosign, resolved.cosign, signTargets(contract, true), options, o.log);
  const failed = results.find((r) => !r.verified);
  if (failed)
    throw new UserError(
      `require-signature: ${failed.ref} is not signed by ${resolved.description}: ${failed.reason ?? 'verification failed'}; ${o.consequence}`,
    );
  return `signature gate: ${results.length} digest(s) verified with ${resolved.description}`;
}

/**
 * The predicates of `type` attested on the image digest, each verified by cosign with the same key
 * or identity as the signature (so a scan result is only evidence when the signer vouched for it).
 * Throws a one-line UserError when none verifies.
 */
export async function attestedPredicates(
  contract: ImageContract,
  type: string,
  verifier: Verifier,
  o: GateOptions & { gate: string },
): Promise<unknown[]> {
  const { cosign, resolved, options } = await gateCosign(verifier, o);
  const r = await cosign.check(
    verifyAttestationArgs(resolved.cosign, contract.ref, type, options),
    'attestation',
  );
  if (!r.ok)
    throw new UserError(
      `${o.gate}: no ${type} attestation of ${contract.ref} verifies with ${resolved.description}: ${r.reason}; ${o.consequence}`,
    );
  // One DSSE envelope per line, its payload an in-toto statement about this digest.
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const envelope = JSON.parse(l) as { payload?: string };
      const statement = JSON.parse(Buffer.from(envelope.payload ?? '', 'base64').toString('utf8')) as {
        predicate?: unknown;
      };
      return statement.predicate;
    });
}
