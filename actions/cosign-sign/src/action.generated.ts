// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "cosign-sign",
  "description": "Signs a container image by digest with cosign — every platform digest of a multi-platform image too — attaches a CycloneDX SBOM and a trivy result as attestations, and verifies what it signed. `mode: verify` is the deploy gate: it fails unless every digest carries a valid signature.",
  "inputs": {
    "image": {
      "description": "The image: the `image-json` of build-image (or the path of a file holding it), or a reference. A tag is resolved to its digest once and only the digest is signed or verified; a tag that does not resolve is an error.",
      "required": true
    },
    "mode": {
      "description": "`sign` (sign, attest, then verify) or `verify` (verify only: a deploy gate).",
      "required": false,
      "default": "sign"
    },
    "recursive": {
      "description": "Also sign and verify each platform digest of a multi-platform image (the platforms of the image-json, or of the registry's index for a reference).",
      "required": false,
      "default": "true"
    },
    "key": {
      "description": "sign: the private key (PEM content, a file path, or a KMS URI such as `awskms://…`). verify: the public key, in the same forms. PEM content is written to a private file that is removed when the job step ends.",
      "required": false,
      "default": ""
    },
    "password": {
      "description": "Password of the private key. Masked; given to cosign through its environment, never argv.",
      "required": false,
      "default": ""
    },
    "keyless": {
      "description": "Sign with a short-lived Fulcio certificate for the CI job's OIDC identity instead of a key. GitHub: needs `permissions: id-token: write`. GitLab: needs an `id_tokens:` entry named SIGSTORE_ID_TOKEN with `aud: sigstore`.",
      "required": false,
      "default": "false"
    },
    "certificate-identity": {
      "description": "Keyless: the signer identity to accept (certificate SAN), e.g. `https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`. When signing keylessly without it, the identity of this CI job is expected.",
      "required": false,
      "default": ""
    },
    "certificate-identity-regexp": {
      "description": "Keyless, instead of `certificate-identity`, a regular expression the signer identity must match.",
      "required": false,
      "default": ""
    },
    "certificate-oidc-issuer": {
      "description": "Keyless: the OIDC issuer to accept, e.g. `https://token.actions.githubusercontent.com`. When signing keylessly without it, this CI platform's issuer is expected.",
      "required": false,
      "default": ""
    },
    "certificate-oidc-issuer-regexp": {
      "description": "Keyless, instead of `certificate-oidc-issuer`, a regular expression the issuer must match.",
      "required": false,
      "default": ""
    },
    "sbom": {
      "description": "sign mode. Path of a CycloneDX JSON SBOM to attach to the image digest as a `cyclonedx` attestation.",
      "required": false,
      "default": ""
    },
    "vuln-report": {
      "description": "sign mode. Path of a trivy JSON report (or a cosign vuln predicate) to attach to the image digest as a `vuln` attestation; trivy JSON is converted to cosign's vuln predicate.",
      "required": false,
      "default": ""
    },
    "require-attestations": {
      "description": "verify mode. Attestation types that must be present and signed by the same key or identity: `cyclonedx`, `vuln` (list).",
      "required": false,
      "default": ""
    },
    "transparency-log": {
      "description": "sign: record signatures in the Rekor transparency log. verify: require a Rekor entry. Set `false` for private key-based signing (air-gapped registries); keyless signing needs `true`.",
      "required": false,
      "default": "true"
    },
    "registry-username": {
      "description": "Registry user for reading the image and writing signatures.",
      "required": false,
      "default": ""
    },
    "registry-password": {
      "description": "Registry password or token. Masked; written only to a private docker config removed when the step ends.",
      "required": false,
      "default": ""
    },
    "registry-ca": {
      "description": "CA certificate (PEM content or file path) to trust for the registry's TLS.",
      "required": false,
      "default": ""
    },
    "cosign-version": {
      "description": "cosign version: `default` (the pinned default, cosign 3), an exact pinned version, or a major/minor prefix (`2` for cosign 2).",
      "required": false,
      "default": "default"
    }
  },
  "outputs": {
    "signed-digests": {
      "description": "JSON list of the digests signed (sign) or whose signatures verified (verify), the image digest first."
    },
    "signature-refs": {
      "description": "JSON list of where the signatures are stored, read from the registry: cosign 3 bundles (`name@sha256:…`, OCI referrers of the digest) and cosign 2 tags (`name:sha256-<hex>.sig`)."
    },
    "attestation-refs": {
      "description": "JSON list of where the image's attestations are stored: cosign 3 bundles (`name@sha256:…`) and cosign 2 tags (`name:sha256-<hex>.att`)."
    },
    "verified": {
      "description": "`true` when every digest (and required attestation) verified, else `false`."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
