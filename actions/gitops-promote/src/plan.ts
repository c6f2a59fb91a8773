// Every input checked and combined before anything is resolved, cloned or committed.
import { InputError, detectPlatform } from '@kubeline/runtime';
import {
  gitAccess,
  parseReconciler,
  placementOf,
  type GitAuth,
  type GitRemote,
  type Placement,
  type ReconcilerRef,
} from '@kubeline/gitops';
import {
  parseScanRequirement,
  parseSeverities,
  signatureVerifier,
  type ScanRequirement,
  type Verifier,
} from '@kubeline/signing';
import type { Inputs } from './inputs.js';

export type Forge = 'github' | 'gitlab';

export interface PromotePlan {
  remote: GitRemote;
  auth: GitAuth;
  placement: Placement;
  reconcilers: ReconcilerRef[];
  verifier?: Verifier;
  scan: ScanRequirement;
  failOn: string[];
  forge?: { kind: Forge; token: string };
}

/** github or gitlab, from the input, else the repository's host, else the CI platform. */
function forgeOf(inputs: Inputs, remote: GitRemote): Forge {
  if (inputs.forge !== 'auto') return inputs.forge;
  if (/(^|\.)github\.com$/i.test(remote.host)) return 'github';
  if (/gitlab/i.test(remote.host)) return 'gitlab';
  const platform = detectPlatform();
  if (platform === 'github' || platform === 'gitlab') return platform;
  throw new InputError(
    'forge',
    'auto',
    `cannot tell from ${remote.host}: set github or gitlab for pull-request mode`,
  );
}

export function plan(inputs: Inputs): PromotePlan {
  if (inputs.path.length === 0) throw new InputError('path', '', 'name at least one file to edit');
  const { remote, auth } = gitAccess(inputs);
  const reconcilers = inputs['wait-for'].map(parseReconciler);
  if (reconcilers.length && inputs.mode === 'pull-request')
    throw new InputError(
      'wait-for',
      inputs['wait-for'].join(','),
      'nothing reaches the cluster until the pull request is merged: wait in a job that runs after the merge (mode: push with the same digest reports it unchanged and waits)',
    );
  const scan = parseScanRequirement(inputs['require-scan']);
  if (scan.kind === 'attestation' && !inputs['require-signature'])
    throw new InputError(
      'require-scan',
      'attestation',
      'the attestation is verified like the signature: set require-signature too',
    );
  const p: PromotePlan = {
    remote,
    auth,
    placement: placementOf(inputs),
    reconcilers,
    scan,
    failOn: parseSeverities(inputs['scan-fail-on']),
  };
  if (inputs['require-signature'])
    p.verifier = signatureVerifier({
      key: inputs['signature-key'],
      identity: inputs['certificate-identity'],
      identityRegexp: inputs['certificate-identity-regexp'],
      issuer: inputs['certificate-oidc-issuer'],
      issuerRegexp: inputs['certificate-oidc-issuer-regexp'],
    });
  if (inputs.mode === 'pull-request') {
    const token = inputs['forge-token'] || (auth.kind === 'token' ? auth.token : '');
    if (!token)
      throw new InputError(
        'forge-token',
        '',
        'pull-request mode needs a token for the forge API (forge-token, or token)',
      );
    p.forge = { kind: forgeOf(inputs, remote), token };
  }
  return p;
}
