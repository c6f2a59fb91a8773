import fs from 'node:fs';
import path from 'node:path';
import { ToolError, UserError, exec, type ExecResult } from '@kubeline/runtime';
import { cosignMajor, type CosignMajor } from './cosign-args.js';

// cosign's default per-command timeout is 3 minutes; ours only catches a hung process.
const TIMEOUT_MS = 10 * 60_000;

/**
 * What a failed cosign command means for the user, from its stderr; undefined when unknown.
 * `checking`: what a verify was about — cosign 3 says "no matching attestations" for a signature
 * too, since its signatures are bundles.
 */
export function explainCosignFailure(
  stderr: string,
  checking: 'signature' | 'attestation' = 'attestation',
): string | undefined {
  if (/decrypt: encrypted: decryption failed|incorrect passphrase|invalid password/i.test(stderr))
    return 'the private key could not be decrypted: wrong `password`';
  if (/no signatures found/i.test(stderr)) return 'no signature found';
  if (/no matching signatures/i.test(stderr)) return 'no signature matches the key or identity';
  if (checking === 'signature' && /no matching attestations/i.test(stderr))
    return 'no signature matches the key or identity';
  const missingType = /none of the attestations matched the predicate type: (\S+)/i.exec(stderr);
  if (missingType) return `no ${missingType[1]!.replace(/,$/, '')} attestation found`;
  if (/no matching attestations|no attestations found/i.test(stderr))
    return 'no attestation matches the key or identity';
  if (/UNAUTHORIZED|authentication required|status code 401/i.test(stderr))
    return 'the registry refused the credentials (registry-username / registry-password)';
  if (/DENIED|status code 403/i.test(stderr)) return 'the registry denied access';
  if (/x509:|certificate signed by unknown authority/i.test(stderr))
    return 'the registry’s TLS certificate is not trusted: give its CA in `registry-ca`';
  return undefined;
}

/** cosign at a verified path, with the environment (password, docker config) every command shares. */
export class Cosign {
  readonly major: CosignMajor;
  constructor(
    readonly path: string,
    readonly version: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly secrets: string[],
  ) {
    this.major = cosignMajor(version);
  }

  run(args: string[], opts: { silent?: boolean } = {}): Promise<ExecResult> {
    return exec(this.path, args, {
      env: this.env,
      secrets: this.secrets,
      timeoutMs: TIMEOUT_MS,
      silent: opts.silent,
    });
  }

  /** A known failure becomes one line naming what was being done; anything else keeps cosign's stderr. */
  async runExplained(args: string[], what: string, opts: { silent?: boolean } = {}): Promise<ExecResult> {
    try {
      return await this.run(args, opts);
    } catch (e) {
      const reason = e instanceof ToolError ? explainCosignFailure(e.stderr) : undefined;
      if (reason) throw new UserError(`${what}: ${reason}`);
      throw e;
    }
  }

  /** Runs a check whose failure is an answer, not an error: returns the explained reason. */
  async check(
    args: string[],
    checking: 'signature' | 'attestation',
  ): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
    try {
      const { stdout } = await this.run(args, { silent: true });
      return { ok: true, stdout };
    } catch (e) {
      if (!(e instanceof ToolError) || e.code === null) throw e;
      return { ok: false, reason: explainCosignFailure(e.stderr, checking) ?? lastLine(e.stderr) };
    }
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').replace(/^(Error|error during command execution): /, '').trim();
}

/**
 * A trusted root that trusts no Sigstore service: given to a key-based check without the
 * transparency log, cosign then has nothing to fetch from Sigstore's TUF repository.
 */
export function writeOfflineTrustedRoot(dir: string): string {
  const file = path.join(dir, 'trusted-root.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }),
  );
  return file;
}
