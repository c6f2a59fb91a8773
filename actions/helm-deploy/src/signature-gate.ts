// require-signature: cosign verifies the digest (and each platform digest) before anything is
// applied. The cosign calls are cosign-sign's own (its verify mode is the same gate), so a key or
// identity accepted there is accepted here.
import { InputError, UserError, type Logger } from '@kubeline/runtime';
import { ensureTool } from '@kubeline/tools';
import type { ImageContract } from '@kubeline/image';
import { Cosign, writeOfflineTrustedRoot } from '../../cosign-sign/src/cosign.js';
import type { CommonOptions } from '../../cosign-sign/src/cosign-args.js';
import { parseKeyInput } from '../../cosign-sign/src/key.js';
import type { Verifier } from '../../cosign-sign/src/plan.js';
import { signTargets } from '../../cosign-sign/src/targets.js';
import { resolveVerifier } from '../../cosign-sign/src/verifier.js';
import { verifyTargets } from '../../cosign-sign/src/verify.js';

export interface SignatureInputs {
  key: string;
  identity: string;
  identityRegexp: string;
  issuer: string;
  /** Require a transparency-log entry (false: key-based signatures made offline). */
  tlog: boolean;
}

/** Which key or identity must have signed; checked with the other inputs, before any tool runs. */
export function signatureVerifier(s: SignatureInputs): Verifier {
  const key = parseKeyInput(s.key, 'signature-key');
  if (key.kind !== 'none') return { kind: 'key', key };
  if ((s.identity || s.identityRegexp) && s.issuer)
    return {
      kind: 'identity',
      identity: {
        ...(s.identity ? { identity: s.identity } : { identityRegexp: s.identityRegexp }),
        issuer: s.issuer,
      },
    };
  throw new InputError(
    'require-signature',
    'true',
    'give signature-key, or certificate-identity (or certificate-identity-regexp) with certificate-oidc-issuer',
  );
}

export async function verifySignature(
  contract: ImageContract,
  verifier: Verifier,
  tlog: boolean,
  workDir: string,
  log: Logger,
): Promise<string> {
  const tool = await ensureTool('cosign', 'default', 'cosign');
  const cosign = new Cosign(tool.path, tool.version, {}, []);
  const resolved = resolveVerifier(verifier, workDir);
  const options: CommonOptions = { tlog, registry: {} };
  if (resolved.keyBased && !tlog) options.trustedRoot = writeOfflineTrustedRoot(workDir);
  const results = await verifyTargets(cosign, resolved.cosign, signTargets(contract, true), options, log);
  const failed = results.find((r) => !r.verified);
  if (failed)
    throw new UserError(
      `require-signature: ${failed.ref} is not signed by ${resolved.description}: ${failed.reason ?? 'verification failed'}; nothing was deployed`,
    );
  return `signature gate: ${results.length} digest(s) verified with ${resolved.description}`;
}
