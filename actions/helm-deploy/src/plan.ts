// Every input checked, and combinations refused, before any tool or cluster is touched.
import { InputError, credentialPair } from '@kubeline/runtime';
import { parseImageInput } from '@kubeline/image';
import { LOCK_NEEDS } from '@kubeline/helm';
import { parseScanRequirement, parseSeverities, signatureVerifier } from '@kubeline/signing';
import { parseChartSource } from './chart-source.js';
import { parseImageValuesPath } from '@kubeline/image';
import type { Inputs } from './inputs.js';

/** What a deploy needs in the namespace, checked up front so a missing permission is named at once. */
export const NEEDS = [
  ['get', 'secrets'],
  ['list', 'secrets'],
  ['create', 'secrets'],
  ['update', 'secrets'],
  ['create', 'configmaps'],
  ...LOCK_NEEDS,
] as const;

/** A dry run only reads the release (and takes no lock). */
export const DRY_RUN_NEEDS = NEEDS.slice(0, 2);

export function plan(inputs: Inputs) {
  const source = parseChartSource(inputs.chart, inputs.repo?.href ?? '');
  const image = inputs.image.trim() ? parseImageInput(inputs.image, 'image') : undefined;
  const mappings = parseImageValuesPath(inputs['image-values-path']);
  const scan = parseScanRequirement(inputs['require-scan']);
  const failOn = parseSeverities(inputs['scan-fail-on']);
  if (inputs['require-signature'] && !image)
    throw new InputError('require-signature', 'true', 'it needs the `image` to verify');
  if (scan.kind !== 'none' && !image)
    throw new InputError('require-scan', inputs['require-scan'], 'it needs the `image` whose scan to check');
  if (scan.kind === 'attestation' && !inputs['require-signature'])
    throw new InputError(
      'require-scan',
      'attestation',
      'the attestation is trusted like the signature: set require-signature with signature-key or the certificate identity',
    );
  const verifier = inputs['require-signature']
    ? signatureVerifier({
        key: inputs['signature-key'],
        identity: inputs['certificate-identity'],
        identityRegexp: inputs['certificate-identity-regexp'],
        issuer: inputs['certificate-oidc-issuer'],
        issuerRegexp: inputs['certificate-oidc-issuer-regexp'],
      })
    : undefined;
  credentialPair(inputs['chart-username'], inputs['chart-password'], {
    username: 'chart-username',
    password: 'chart-password',
  });
  credentialPair(inputs['registry-username'], inputs['registry-password'], {
    username: 'registry-username',
    password: 'registry-password',
  });
  return { source, image, mappings, scan, failOn, verifier };
}

export type DeployPlan = ReturnType<typeof plan>;
