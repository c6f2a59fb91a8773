// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "rollback",
  "description": "Rolls a Helm release (or a plain Deployment) back to the previous revision, a given revision, or the last revision kubeline's helm-deploy saw become ready; waits until it is ready, with the failing pods, events and logs in the summary when it does not, and shows what changed. With `kind: gitops`, writes the image promoted before the current one back into the config repository through the same Git path as gitops-promote, and waits for Flux or Argo CD to apply it.",
  "inputs": {
    "release": {
      "description": "The Helm release to roll back; with `kind: deployment`, the name of the Deployment; with `kind: gitops`, the application's name for the commit message.",
      "required": true
    },
    "to": {
      "description": "`previous` (the revision deployed before the current one), a revision number, or `last-good` (the newest revision helm-deploy recorded as ready, other than the current one). With `kind: gitops`: `previous`, `last-good` (the newest promotion of `path` recorded healthy with another image than the current one), or an image digest (`sha256:…`) that an earlier promotion of `path` wrote. A revision or digest that does not exist is an error and nothing is changed.",
      "required": false,
      "default": "previous"
    },
    "kind": {
      "description": "`helm` (helm rollback), `deployment` (a Deployment without Helm: its pod template is restored from the ReplicaSet of that revision, like `kubectl rollout undo`), or `gitops` (the config repository's files get the image gitops-promote wrote before the current one, read from its commit trailers, or the digest `to` names).",
      "required": false,
      "default": "helm"
    },
    "namespace": {
      "description": "Namespace of the release. Default: the kubeconfig context's namespace, else `default`.",
      "required": false,
      "default": ""
    },
    "wait": {
      "description": "Wait until the rolled-back workloads are ready.",
      "required": false,
      "default": "true"
    },
    "timeout": {
      "description": "How long to wait (e.g. `5m`, `90s`).",
      "required": false,
      "default": "5m"
    },
    "kubeconfig": {
      "description": "Kubeconfig content or path. Content is written 0600 to the runner's temp dir and removed when the step ends. Default: KUBECONFIG, then ~/.kube/config.",
      "required": false,
      "default": ""
    },
    "context": {
      "description": "Kubeconfig context to use. Default: the kubeconfig's current context.",
      "required": false,
      "default": ""
    },
    "helm-version": {
      "description": "Helm to use (`kind: helm`): `default`, an exact pinned version or a major prefix (`3`, `4`).",
      "required": false,
      "default": "default"
    },
    "repository": {
      "description": "`kind: gitops`: the config repository (https, http to loopback only, ssh), as in gitops-promote.",
      "required": false,
      "default": ""
    },
    "branch": {
      "description": "`kind: gitops`: the branch the controller follows.",
      "required": false,
      "default": "main"
    },
    "path": {
      "description": "`kind: gitops`: the file(s) gitops-promote edits, relative to the repository root (list).",
      "required": false,
      "default": ""
    },
    "file-kind": {
      "description": "`kind: gitops`: what the files are, as gitops-promote's `kind`: auto, kustomize, helm-values, helm-release, argocd, manifests or markers.",
      "required": false,
      "default": "auto"
    },
    "values-path": {
      "description": "`kind: gitops`: where the image goes in values (gitops-promote's `values-path`).",
      "required": false,
      "default": "image"
    },
    "image-name": {
      "description": "`kind: gitops`: the image name the files use (gitops-promote's `image-name`).",
      "required": false,
      "default": ""
    },
    "container": {
      "description": "`kind: gitops`, manifests: only this container.",
      "required": false,
      "default": ""
    },
    "image-policy": {
      "description": "`kind: gitops`, markers: the Flux ImagePolicy (`<namespace>:<name>`) whose `$imagepolicy` markers take the image (gitops-promote's `image-policy`).",
      "required": false,
      "default": ""
    },
    "environment": {
      "description": "`kind: gitops`: only promotions recorded for this environment count.",
      "required": false,
      "default": ""
    },
    "token": {
      "description": "`kind: gitops`: token for an https repository (an HTTP header in git's environment, never on argv).",
      "required": false,
      "default": ""
    },
    "username": {
      "description": "`kind: gitops`: user name the token goes with (default x-access-token, or oauth2 for GitLab).",
      "required": false,
      "default": ""
    },
    "ssh-key": {
      "description": "`kind: gitops`: a deploy key for an ssh repository (written 0600, removed when the step ends).",
      "required": false,
      "default": ""
    },
    "known-hosts": {
      "description": "`kind: gitops`: known_hosts lines for the ssh host (required with ssh-key).",
      "required": false,
      "default": ""
    },
    "author-name": {
      "description": "`kind: gitops`: commit author name (default as gitops-promote's).",
      "required": false,
      "default": ""
    },
    "author-email": {
      "description": "`kind: gitops`: commit author email.",
      "required": false,
      "default": ""
    },
    "wait-for": {
      "description": "`kind: gitops`: reconcilers to wait for (kustomization/<ns>/<name>, helmrelease/<ns>/<name>, application/<ns>/<name>), then their workloads' rollout; needs only read access. Empty: do not wait.",
      "required": false,
      "default": ""
    }
  },
  "outputs": {
    "from-revision": {
      "description": "The revision that was deployed before the rollback (`kind: gitops`: the commit that promoted the current image)."
    },
    "to-revision": {
      "description": "The revision rolled back to (its content runs now; `kind: gitops`: the commit that had promoted that image)."
    },
    "revision": {
      "description": "The revision the rollback itself created (Helm and Deployments both record a rollback as a new revision; `kind: gitops`: the rollback commit)."
    },
    "image-digest": {
      "description": "The image digest that runs now (empty when the manifests pin none)."
    },
    "status": {
      "description": "`deployed` after a successful rollback, else `failed`."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
