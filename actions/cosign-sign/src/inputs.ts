import { input, type InputParser, type InputSpec, type InputValues } from '@kubeline/runtime';
import { imageInput } from '@kubeline/image';
import type { InputName } from './action.generated.js';
import { parseKeyInput, type KeySource } from '@kubeline/signing';

export const ATTESTATION_TYPES = ['cyclonedx', 'vuln'] as const;
export type AttestationType = (typeof ATTESTATION_TYPES)[number];

const key: InputParser<KeySource> = {
  type: 'PEM, key file path or KMS URI',
  parse: (raw, name) => parseKeyInput(raw, name),
};

const attestationTypes: InputParser<AttestationType[]> = {
  type: `list of ${ATTESTATION_TYPES.join(', ')}`,
  parse: (raw, name) =>
    input
      .list()
      .parse(raw, name)
      .map((t) => input.enum(ATTESTATION_TYPES).parse(t, name)),
};

export const inputSpec = {
  image: imageInput,
  mode: input.enum(['sign', 'verify'] as const),
  recursive: input.boolean(),
  key,
  password: input.secret(),
  keyless: input.boolean(),
  'certificate-identity': input.string(),
  'certificate-identity-regexp': input.string(),
  'certificate-oidc-issuer': input.string(),
  'certificate-oidc-issuer-regexp': input.string(),
  sbom: input.string(),
  'vuln-report': input.string(),
  'require-attestations': attestationTypes,
  'transparency-log': input.boolean(),
  'registry-username': input.string(),
  'registry-password': input.secret(),
  'registry-ca': input.multiline(),
  'cosign-version': input.string(),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;
