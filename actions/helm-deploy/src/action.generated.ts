// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "helm-deploy",
  "description": "Installs or upgrades a Helm release with Helm 3 or Helm 4, the image pinned by digest into the chart's values and checked in the rendered manifests, gated on a cosign signature and a trivy result, serialised per release, rolled back on failure with the failing pods, events and logs in the summary.",
  "inputs": {
    "release": {
      "description": "Name of the Helm release (lowercase letters, digits and dashes; at most 53 characters).",
      "required": true
    },
    "chart": {
      "description": "The chart: a local folder or `.tgz`, an `oci://` reference (with `chart-version`), a chart name in the `repo` repository, or `https://<repository URL>/<chart name>`. A `.tgz` URL is fetched as it is.",
      "required": true
    },
    "chart-version": {
      "description": "Version (or constraint) of a repository or OCI chart. Empty means the newest.",
      "required": false,
      "default": ""
    },
    "repo": {
      "description": "URL of the chart repository that holds `chart` (an index.yaml made by `helm repo index`).",
      "required": false,
      "default": ""
    },
    "chart-username": {
      "description": "User name for the chart repository or OCI registry.",
      "required": false,
      "default": ""
    },
    "chart-password": {
      "description": "Password for the chart repository or OCI registry. Masked; an OCI login goes to a private registry config file, not argv.",
      "required": false,
      "default": ""
    },
    "plain-http": {
      "description": "Fetch an `oci://` chart over plain HTTP (a local registry such as 127.0.0.1:5000).",
      "required": false,
      "default": "false"
    },
    "namespace": {
      "description": "Namespace of the release. Default: the kubeconfig context's namespace, else `default`.",
      "required": false,
      "default": ""
    },
    "create-namespace": {
      "description": "Create the namespace when it does not exist.",
      "required": false,
      "default": "false"
    },
    "values-files": {
      "description": "Values files, applied in order (newline or comma separated), e.g. one per environment. Each is parsed before Helm sees it: a YAML error names the file and the line.",
      "required": false,
      "default": ""
    },
    "values": {
      "description": "Values as multiline YAML, applied after `values-files`.",
      "required": false,
      "default": ""
    },
    "set": {
      "description": "`key=value` pairs for `--set`, one per line.",
      "required": false,
      "default": ""
    },
    "set-string": {
      "description": "`key=value` pairs for `--set-string` (always strings), one per line.",
      "required": false,
      "default": ""
    },
    "set-file": {
      "description": "`key=path` pairs for `--set-file` (the value is the file's content), one per line.",
      "required": false,
      "default": ""
    },
    "image": {
      "description": "The image to deploy: build-image's `image-json` (or the path of a file holding it) or a reference. A tag is resolved to its digest once; only the digest is deployed.",
      "required": false,
      "default": ""
    },
    "image-values-path": {
      "description": "Where the chart reads its image. A values path such as `image` (the default) sets `image.repository` (registry/name), `image.digest` (`sha256:…`) and `image.tag` (`<tag>@sha256:…`, so charts that only join repository and tag pull by digest too). Or a list of `path=part` with part one of `repository`, `registry`, `name` (without registry), `digest`, `tag`, `ref` (`registry/name@sha256:…`), e.g. `app.image=ref`. The rendered manifests must carry the digest, else nothing is applied.",
      "required": false,
      "default": "image"
    },
    "require-signature": {
      "description": "Refuse to deploy unless cosign verifies a signature on the image digest with `signature-key` or `certificate-identity` + `certificate-oidc-issuer`. Checked before anything is applied.",
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
    "registry-username": {
      "description": "Registry user for reading `image` (a tag resolved to its digest) and its signatures and attestations, for the gates. Without it, the docker config's login is used.",
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
    "require-scan": {
      "description": "Refuse to deploy without evidence that this digest was scanned with no finding of a `scan-fail-on` severity: trivy-scan's `json-report` path (a list for one report per platform of an index; each is checked to be a scan of this digest), or `attestation` — the vuln attestation cosign-sign attached, verified with the signature's key or identity (needs require-signature). trivy-scan's `passed` output is refused: it names no digest. Empty: no scan gate.",
      "required": false,
      "default": ""
    },
    "scan-fail-on": {
      "description": "Severities that fail `require-scan` given a JSON report (list).",
      "required": false,
      "default": "CRITICAL"
    },
    "lint": {
      "description": "Run `helm lint --strict` with the same values first; a warning stops the deploy.",
      "required": false,
      "default": "true"
    },
    "dry-run": {
      "description": "Render against the cluster (`--dry-run=server`) and report what would change — resources added, changed and removed against the live release — without applying anything.",
      "required": false,
      "default": "false"
    },
    "wait": {
      "description": "Wait until the release's workloads are ready (Helm 3 `--wait`, Helm 4 `--wait=watcher`). Implied by `rollback-on-failure`.",
      "required": false,
      "default": "true"
    },
    "rollback-on-failure": {
      "description": "Roll back to the previous release when the upgrade fails or times out (an install is removed): Helm 3 `--atomic`, Helm 4 `--rollback-on-failure`.",
      "required": false,
      "default": "true"
    },
    "timeout": {
      "description": "How long to wait for the release to become ready (e.g. `5m`, `90s`).",
      "required": false,
      "default": "5m"
    },
    "fail-fast": {
      "description": "Stop helm's wait as soon as a new pod fails for certain, instead of sitting out `timeout`: ImagePullBackOff, CreateContainerConfigError, Unschedulable or FailedCreate (new pods a Deployment, StatefulSet or DaemonSet cannot create: refused by a ResourceQuota, LimitRange or admission) for 10 s (a cluster autoscaler scale-up is waited for), CrashLoopBackOff at `fail-fast-restarts` restarts, OOMKilled, or readiness failing past its probes' budget (startup + initial delay + period × failure threshold). The release then fails with the cause in one line (and is rolled back with `rollback-on-failure`).",
      "required": false,
      "default": "true"
    },
    "fail-fast-restarts": {
      "description": "Restarts of a crash-looping container that make the fail-fast verdict (an integer ≥ 1).",
      "required": false,
      "default": "2"
    },
    "force": {
      "description": "Replace resources that cannot be updated in place: Helm 3 `--force`, Helm 4 `--force-replace`.",
      "required": false,
      "default": "false"
    },
    "server-side": {
      "description": "Helm 4's apply method: `auto` (as the release was applied before; server-side for a new release), `true` or `false`. Helm 3 always applies client-side; `true` there is a warning.",
      "required": false,
      "default": "auto"
    },
    "pending-grace": {
      "description": "A release left pending-install / pending-upgrade / pending-rollback (a killed run) for longer than this is recovered — rolled back to its last deployed revision, or removed if it was never deployed — before deploying. A younger pending release stops the deploy.",
      "required": false,
      "default": "5m"
    },
    "lock-timeout": {
      "description": "How long to wait for another kubeline deploy of the same release to finish (a Lease in the namespace serialises them).",
      "required": false,
      "default": "10m"
    },
    "kubeconfig": {
      "description": "Kubeconfig content or path. Content is written 0600 to the runner's temp dir and removed in the post step. Default: KUBECONFIG, then ~/.kube/config.",
      "required": false,
      "default": ""
    },
    "context": {
      "description": "Kubeconfig context to use. Default: the kubeconfig's current context.",
      "required": false,
      "default": ""
    },
    "helm-version": {
      "description": "Helm to use: `default`, an exact pinned version (`3.17.3`, `4.1.4`, `4.2.0`) or a major prefix (`3`, `4`). Installed with its sha256 verified.",
      "required": false,
      "default": "default"
    },
    "environment": {
      "description": "Name of the deployment environment (GitHub Deployments, GitLab environment). Default: the namespace.",
      "required": false,
      "default": ""
    },
    "environment-url": {
      "description": "URL where the deployed environment can be reached, shown on the deployment.",
      "required": false,
      "default": ""
    },
    "github-token": {
      "description": "A token with `deployments: write`: creates a GitHub Deployment for `environment` and reports its status (in progress, then success or failure, with the URL and this run's log). Empty: no Deployment.",
      "required": false,
      "default": ""
    }
  },
  "outputs": {
    "release": {
      "description": "The release name."
    },
    "namespace": {
      "description": "The namespace of the release."
    },
    "revision": {
      "description": "The release revision now deployed (on failure, the revision that failed)."
    },
    "previous-revision": {
      "description": "The revision deployed before this run (empty for a first install)."
    },
    "status": {
      "description": "Helm status of the release after this run: `deployed`, `failed`, or `dry-run`."
    },
    "image-digest": {
      "description": "The image digest pinned into the values (empty without `image`)."
    },
    "resources": {
      "description": "JSON list of the resources of the release: `{\"kind\",\"name\",\"namespace\",\"change\"}`; change is added / changed / removed / unchanged in a dry run."
    },
    "environment": {
      "description": "The environment deployed to (for GitLab's `environment:name`)."
    },
    "environment-url": {
      "description": "The environment URL (for GitLab's `environment:url` through the dotenv report)."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
