// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "setup-tools",
  "description": "Installs helm, kubectl, trivy, cosign and docker buildx at pinned versions. Every download is checked against a sha256 pinned in kubeline's manifest and fails closed; installs are cached in the tool cache.",
  "inputs": {
    "helm": {
      "description": "helm version: `default` (the pinned default), an exact pinned version such as `3.17.3`, or a major or minor prefix such as `4` (the newest pinned 4.x). Empty: not installed.",
      "required": false,
      "default": ""
    },
    "kubectl": {
      "description": "kubectl version, as for `helm`. Empty: not installed.",
      "required": false,
      "default": ""
    },
    "trivy": {
      "description": "trivy version, as for `helm`. Empty: not installed.",
      "required": false,
      "default": ""
    },
    "cosign": {
      "description": "cosign version, as for `helm`. Empty: not installed.",
      "required": false,
      "default": ""
    },
    "buildx": {
      "description": "docker buildx version, as for `helm`; installed as `docker-buildx`. Empty: not installed.",
      "required": false,
      "default": ""
    },
    "mirror": {
      "description": "Base URL of a mirror laid out as `<mirror>/<tool>/v<version>/<file>`, used instead of the upstream sites (air-gapped runners). The KUBELINE_TOOLS_MIRROR variable works too.",
      "required": false,
      "default": ""
    },
    "manifest": {
      "description": "Path of a tools manifest (kubeline's format) replacing the bundled one, for mirrors that serve archives of their own; its sha256 values are enforced the same way. KUBELINE_TOOLS_MANIFEST works too.",
      "required": false,
      "default": ""
    },
    "platform": {
      "description": "The `<os>-<arch>` to install for, in Node's names (`linux-x64`, `linux-arm64`). Default: this runner.",
      "required": false,
      "default": ""
    }
  },
  "outputs": {
    "helm-path": {
      "description": "Absolute path of the installed helm."
    },
    "helm-version": {
      "description": "The helm version installed."
    },
    "kubectl-path": {
      "description": "Absolute path of the installed kubectl."
    },
    "kubectl-version": {
      "description": "The kubectl version installed."
    },
    "trivy-path": {
      "description": "Absolute path of the installed trivy."
    },
    "trivy-version": {
      "description": "The trivy version installed."
    },
    "cosign-path": {
      "description": "Absolute path of the installed cosign."
    },
    "cosign-version": {
      "description": "The cosign version installed."
    },
    "buildx-path": {
      "description": "Absolute path of the installed docker-buildx."
    },
    "buildx-version": {
      "description": "The docker buildx version installed."
    }
  },
  "post": false
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
