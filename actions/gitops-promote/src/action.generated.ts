// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "gitops-promote",
  "description": "Pull-based delivery: writes the image's digest into a GitOps config repository by what each file is (a Kustomization's images, a Helm values file, a Flux HelmRelease, an Argo CD Application, plain manifests) with comments and formatting kept, commits it with the source and run as trailers, pushes it (never forcing: a racing promotion is redone on the new tip) or opens a pull/merge request, and optionally waits until Flux or Argo CD has applied that commit and its workloads have rolled out — with a read-only kubeconfig. Refuses an unsigned or unscanned digest before any commit.",
  "inputs": {
    "image": {
      "description": "The image to promote: build-image's `image-json` (inline or a file path), or a reference whose tag is resolved once to its digest. The digest is what is written.",
      "required": true
    },
    "repository": {
      "description": "The config repository: an https URL (http only to a loopback host), `ssh://host/path` or `git@host:path`. Credentials in the URL are split off and masked; prefer `token`.",
      "required": true
    },
    "branch": {
      "description": "The branch the cluster's controller follows; the promotion lands there (or a pull request targets it).",
      "required": false,
      "default": "main"
    },
    "path": {
      "description": "The file(s) to edit, relative to the repository root (a list: one per line or comma-separated), e.g. `apps/web/overlays/production/kustomization.yaml`. Every file must exist; nothing outside the repository is followed.",
      "required": true
    },
    "kind": {
      "description": "What the files are: `kustomize` (the `images:` entry of a kustomization.yaml: newName and digest), `helm-values` (a values file, at `values-path`), `helm-release` (a Flux HelmRelease's `spec.values`), `argocd` (an Argo CD Application's helm parameters or kustomize images), `manifests` (the containers running the image), `markers` (the values marked for `image-policy` with Flux's `# {\"$imagepolicy\": ...}` comments), or `auto` (each file by its name and content; `markers` when `image-policy` is set).",
      "required": false,
      "default": "auto"
    },
    "values-path": {
      "description": "For helm-values, helm-release and argocd helm sources: where the image goes, as in helm-deploy's `image-values-path`: `image` sets image.repository, image.digest and image.tag; or `path=part` pairs with part one of repository, registry, name, digest, tag, ref.",
      "required": false,
      "default": "image"
    },
    "image-name": {
      "description": "The image name the files use for it (a kustomization's `images[].name`, the containers' image repository). Default: the image's own repository.",
      "required": false,
      "default": ""
    },
    "container": {
      "description": "For `manifests`, only the container with this name. Default: every container running the image.",
      "required": false,
      "default": ""
    },
    "image-policy": {
      "description": "For `markers`: the Flux ImagePolicy, `<namespace>:<name>`, whose setter markers take the image, as Flux's image-automation-controller would write them but by digest: a value marked `# {\"$imagepolicy\": \"ns:name\"}` gets `name@sha256:…`; `ns:name:name` the repository; `ns:name:tag` `tag@sha256:…`; `ns:name:digest` the digest. Values marked for other policies, and the markers, stay as they are.",
      "required": false,
      "default": ""
    },
    "environment": {
      "description": "The environment this promotion is for (e.g. production): named in the commit message, the pull request branch and title.",
      "required": false,
      "default": ""
    },
    "mode": {
      "description": "`push`: commit straight to `branch`. `pull-request`: push to a branch of its own (`pull-request-branch`) and open or update a pull request (GitHub) or merge request (GitLab) into `branch`.",
      "required": false,
      "default": "push"
    },
    "pull-request-branch": {
      "description": "The branch a pull request is made from. Default: kubeline/promote/<environment or branch>/<image name>.",
      "required": false,
      "default": ""
    },
    "pull-request-labels": {
      "description": "Labels to add to the pull/merge request (list).",
      "required": false,
      "default": ""
    },
    "pull-request-reviewers": {
      "description": "Reviewers to request (list of user names; on GitHub `org/team` requests a team).",
      "required": false,
      "default": ""
    },
    "auto-merge": {
      "description": "`false`, or `merge`, `squash` or `rebase`: enable auto-merge on the pull request (merge when pipeline succeeds on GitLab).",
      "required": false,
      "default": "false"
    },
    "forge": {
      "description": "Where the pull/merge request is opened: `github`, `gitlab`, or `auto` (from the repository's host and the CI platform).",
      "required": false,
      "default": "auto"
    },
    "forge-api-url": {
      "description": "The forge's API root. Default: GITHUB_API_URL or https://api.github.com; CI_API_V4_URL or https://<host>/api/v4.",
      "required": false,
      "default": ""
    },
    "forge-token": {
      "description": "Token for the pull/merge request API. Default: `token`. On GitHub it needs `pull-requests: write`; on GitLab the `api` scope.",
      "required": false,
      "default": ""
    },
    "token": {
      "description": "Token for an https repository: sent as an HTTP header through git's environment, never on argv or in .git/config. GitHub: a token with `contents: write`; GitLab: a project or deploy token with write_repository.",
      "required": false,
      "default": ""
    },
    "username": {
      "description": "User name the token goes with. Default: x-access-token (GitHub), oauth2 (GitLab).",
      "required": false,
      "default": ""
    },
    "ssh-key": {
      "description": "A private deploy key for an ssh repository (content). Written 0600 to the run's private directory and removed when the step ends.",
      "required": false,
      "default": ""
    },
    "known-hosts": {
      "description": "known_hosts lines for an ssh repository's host (required with ssh-key; hosts are never trusted on first use).",
      "required": false,
      "default": ""
    },
    "author-name": {
      "description": "Commit author and committer name. Default: github-actions[bot] on GitHub, the job's user on GitLab, else kubeline.",
      "required": false,
      "default": ""
    },
    "author-email": {
      "description": "Commit author and committer email (default to go with the name).",
      "required": false,
      "default": ""
    },
    "message": {
      "description": "The commit's first line. Default: Promote <image name> to <short digest> [in <environment>]. The changes and trailers (image, source commit, run) follow.",
      "required": false,
      "default": ""
    },
    "push-attempts": {
      "description": "How many times a promotion overtaken by another push is redone on the new tip before failing.",
      "required": false,
      "default": "5"
    },
    "require-signature": {
      "description": "Refuse the image unless cosign verifies a signature on its digest (and every platform digest) with `signature-key` or `certificate-identity` + `certificate-oidc-issuer`. Checked before anything is cloned or committed.",
      "required": false,
      "default": "false"
    },
    "signature-key": {
      "description": "The cosign public key (PEM content, a file path, or a KMS URI) for `require-signature`.",
      "required": false,
      "default": ""
    },
    "certificate-identity": {
      "description": "Keyless signatures, the signer identity to accept (certificate SAN).",
      "required": false,
      "default": ""
    },
    "certificate-identity-regexp": {
      "description": "Keyless signatures, instead of `certificate-identity`, a regular expression the identity must match.",
      "required": false,
      "default": ""
    },
    "certificate-oidc-issuer": {
      "description": "Keyless signatures, the OIDC issuer to accept.",
      "required": false,
      "default": ""
    },
    "certificate-oidc-issuer-regexp": {
      "description": "Keyless signatures, instead of `certificate-oidc-issuer`, a regular expression the issuer must match.",
      "required": false,
      "default": ""
    },
    "signature-transparency-log": {
      "description": "Require a Rekor transparency-log entry for the signature. Set `false` for key-based signatures made without the transparency log (air-gapped registries).",
      "required": false,
      "default": "true"
    },
    "require-scan": {
      "description": "Refuse to promote without evidence that this digest was scanned with no finding of a `scan-fail-on` severity: trivy-scan's `json-report` path(s), or `attestation` (the vuln attestation cosign-sign attached, verified like the signature; needs require-signature).",
      "required": false,
      "default": ""
    },
    "scan-fail-on": {
      "description": "Severities that fail `require-scan` (list).",
      "required": false,
      "default": "CRITICAL"
    },
    "registry-username": {
      "description": "Registry user for reading `image` (a tag resolved to its digest) and its signatures. Without it, the docker config's login is used.",
      "required": false,
      "default": ""
    },
    "registry-password": {
      "description": "Registry password or token. Masked; written only to a private docker config removed when the step ends.",
      "required": false,
      "default": ""
    },
    "registry-ca": {
      "description": "CA certificate (PEM content or file path) to trust for the image registry's TLS.",
      "required": false,
      "default": ""
    },
    "wait-for": {
      "description": "Reconcilers to wait for after the commit lands, each `kind/namespace/name` with kind one of kustomization, helmrelease (Flux) or application (Argo CD), e.g. `kustomization/flux-system/apps`. Each must report the commit (or a later one containing it) applied; then the workloads it manages must roll out. Empty: do not wait. Not waited for in pull-request mode until the request is merged.",
      "required": false,
      "default": ""
    },
    "kubeconfig": {
      "description": "Kubeconfig (content or path) for `wait-for`: read access is enough (get, list, watch on the reconcilers, workloads, pods and events). Content is written 0600 and removed when the step ends.",
      "required": false,
      "default": ""
    },
    "context": {
      "description": "Kubeconfig context to use. Default: the kubeconfig's current context.",
      "required": false,
      "default": ""
    },
    "timeout": {
      "description": "How long to wait for the reconcile and the rollout together (e.g. 10m).",
      "required": false,
      "default": "10m"
    }
  },
  "outputs": {
    "commit": {
      "description": "The commit that carries the digest on the branch pushed to (new, or the tip that already had it)."
    },
    "changed": {
      "description": "`true` when a new commit was pushed; `false` when the files already held this digest."
    },
    "files": {
      "description": "The files changed (JSON array of repository-relative paths)."
    },
    "changes": {
      "description": "What changed, as JSON: [{file, path, old, new}]."
    },
    "pull-request-url": {
      "description": "The pull/merge request's URL (pull-request mode)."
    },
    "pull-request-number": {
      "description": "The pull/merge request's number (GitLab's iid)."
    },
    "applied-revision": {
      "description": "The revision the reconcilers reported applied (the commit or a later one containing it)."
    },
    "status": {
      "description": "`unchanged`, `pushed`, `proposed` (pull request), `applied` (reconciled, no workloads to wait for), `healthy` (rolled out), or `failed`."
    },
    "digest": {
      "description": "The digest promoted."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
