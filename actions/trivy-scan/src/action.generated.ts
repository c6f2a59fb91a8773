// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "trivy-scan",
  "description": "Scans an image (by digest), a directory, IaC configuration or an SBOM with trivy once, writes every requested report (JSON, SARIF, CycloneDX, GitLab container scanning) from that one run, and gates on a chosen subset: severities or a CVSS score. Counts are outputs; the vulnerability DB is cached and mirrored.",
  "inputs": {
    "scan-type": {
      "description": "What to scan: `image` (a registry image, or an image tarball given as `input`), `fs` (a directory's packages and lockfiles), `config` (Dockerfiles, Kubernetes manifests, Helm charts; findings are annotated at file:line) or `sbom` (a CycloneDX or SPDX file given as `path`).",
      "required": false,
      "default": "image"
    },
    "image": {
      "description": "For `scan-type: image`: the `image-json` of build-image, a path to it, or a reference (`name:tag` or `name@sha256:…`). A tag is resolved to its digest once and only the digest is scanned.",
      "required": false,
      "default": ""
    },
    "input": {
      "description": "For `scan-type: image`: path of an image tarball (docker save or OCI layout tar) to scan instead of a registry image.",
      "required": false,
      "default": ""
    },
    "path": {
      "description": "For `fs` and `config`: the directory or file to scan. For `sbom`: the SBOM file.",
      "required": false,
      "default": "."
    },
    "formats": {
      "description": "Reports to write, converted from the one JSON result: `json`, `sarif`, `cyclonedx`, `gitlab` (GitLab container scanning). The JSON report is always written.",
      "required": false,
      "default": "json, sarif"
    },
    "output-dir": {
      "description": "Folder for the reports. Default: on GitLab the job's working directory (artifact paths are relative to it), elsewhere a new folder under the runner temp dir.",
      "required": false,
      "default": ""
    },
    "fail-on": {
      "description": "Severities that fail the step (list of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN), or `none`. Reports always hold every finding; this only decides pass or fail.",
      "required": false,
      "default": "CRITICAL"
    },
    "fail-on-cvss": {
      "description": "Also fail when a vulnerability's highest CVSS v3 score is at or above this (0-10, e.g. `9.0`). Empty: no CVSS gate.",
      "required": false,
      "default": ""
    },
    "ignore-unfixed": {
      "description": "Leave out vulnerabilities that have no fixed version yet (reports, counts and gate).",
      "required": false,
      "default": "false"
    },
    "ignore-file": {
      "description": "A `.trivyignore` or `.trivyignore.yaml` file of findings to suppress. Default: the workspace's `.trivyignore.yaml` or `.trivyignore`, when there is one.",
      "required": false,
      "default": ""
    },
    "scanners": {
      "description": "For `image`, `fs` and `sbom`: trivy's scanners (vuln, secret, misconfig, license). Default: trivy's own for the scan type.",
      "required": false,
      "default": ""
    },
    "db-repository": {
      "description": "OCI repositories of the trivy vulnerability DB, tried in order; a rate-limited one (TOOMANYREQUESTS) is retried before moving on. The DB is cached between runs and downloaded only when stale.",
      "required": false,
      "default": "mirror.gcr.io/aquasec/trivy-db:2, ghcr.io/aquasecurity/trivy-db:2"
    },
    "db-max-age": {
      "description": "How old the vulnerability DB may be. Empty: trivy's own rule — a DB past its NextUpdate (and not downloaded within the hour) is refreshed, and the scan fails when no mirror can refresh it. A duration (`24h`): a DB built longer ago than that is refreshed too, and a mirror serving one that old counts as failed. `any`: a stale DB is scanned with, with a warning (air-gapped runners).",
      "required": false,
      "default": ""
    },
    "java-db-repository": {
      "description": "OCI repositories of the trivy Java DB, tried in order. Empty: the Java DB is not downloaded (jar files are not matched).",
      "required": false,
      "default": ""
    },
    "cache-dir": {
      "description": "trivy's cache folder (DB and layer analysis). Default: `trivy/cache/<version>` in the tool cache.",
      "required": false,
      "default": ""
    },
    "registry-username": {
      "description": "User name for the image's registry.",
      "required": false,
      "default": ""
    },
    "registry-password": {
      "description": "Password or token for the image's registry (masked).",
      "required": false,
      "default": ""
    },
    "registry-ca": {
      "description": "PEM CA certificate (file path or content) to trust for registries with a private CA.",
      "required": false,
      "default": ""
    },
    "timeout": {
      "description": "Longest the scan may take (e.g. `5m`, `1h`).",
      "required": false,
      "default": "10m"
    },
    "trivy-version": {
      "description": "trivy version: `default` (the pinned default), an exact pinned version, or a major or minor prefix.",
      "required": false,
      "default": "default"
    }
  },
  "outputs": {
    "passed": {
      "description": "`true` when no finding met the gate (`fail-on` / `fail-on-cvss`), else `false`."
    },
    "critical": {
      "description": "Number of CRITICAL findings."
    },
    "high": {
      "description": "Number of HIGH findings."
    },
    "medium": {
      "description": "Number of MEDIUM findings."
    },
    "low": {
      "description": "Number of LOW findings."
    },
    "unknown": {
      "description": "Number of findings of UNKNOWN severity."
    },
    "image-digest": {
      "description": "The digest that was scanned (image scans): the same image every later step should use."
    },
    "json-report": {
      "description": "Path of trivy's JSON report."
    },
    "sarif-report": {
      "description": "Path of the SARIF report, when `formats` has `sarif`."
    },
    "cyclonedx-report": {
      "description": "Path of the CycloneDX SBOM (with vulnerabilities), when `formats` has `cyclonedx`."
    },
    "gitlab-report": {
      "description": "Path of the GitLab container scanning report, when `formats` has `gitlab`."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
