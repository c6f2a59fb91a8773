// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "rollback",
  "description": "Rolls a Helm release (or a plain Deployment) back to the previous revision, a given revision, or the last revision kubeline's helm-deploy saw become ready; waits until it is ready, with the failing pods, events and logs in the summary when it does not, and shows what changed.",
  "inputs": {
    "release": {
      "description": "The Helm release to roll back; with `kind: deployment`, the name of the Deployment.",
      "required": true
    },
    "to": {
      "description": "`previous` (the revision deployed before the current one), a revision number, or `last-good` (the newest revision helm-deploy recorded as ready, other than the current one). A revision that does not exist is an error and nothing is changed.",
      "required": false,
      "default": "previous"
    },
    "kind": {
      "description": "`helm` (helm rollback) or `deployment` (a Deployment without Helm: its pod template is restored from the ReplicaSet of that revision, like `kubectl rollout undo`).",
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
    }
  },
  "outputs": {
    "from-revision": {
      "description": "The revision that was deployed before the rollback."
    },
    "to-revision": {
      "description": "The revision rolled back to (its content runs now)."
    },
    "revision": {
      "description": "The revision the rollback itself created (Helm and Deployments both record a rollback as a new revision)."
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
