// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "canary-promote",
  "description": "Progressive delivery driven from CI, without a controller: runs the new image as a canary beside a stable Deployment, shifts traffic to it step by step through a Gateway API HTTPRoute, an Istio VirtualService, an SMI TrafficSplit or an ingress-nginx canary Ingress (or by replica ratio), judges every step with Prometheus (success rate, p99 latency, your own queries) and the canary pods' health, and promotes it or puts all traffic back on stable. Its state and heartbeat live in a Lease, so a cancelled or killed job is reverted (or resumed) safely.",
  "inputs": {
    "deployment": {
      "description": "The stable Deployment. It is not changed until promotion, when it takes the canary's image.",
      "required": true
    },
    "image": {
      "description": "The new image: build-image's `image-json` (inline or a file path), or a reference whose tag is resolved once to its digest. The canary runs it by digest.",
      "required": true
    },
    "container": {
      "description": "The container to run the new image in. Default: the container whose image has the same repository, else the only container.",
      "required": false,
      "default": ""
    },
    "require-signature": {
      "description": "Refuse the image unless cosign verifies a signature on its digest (and every platform digest) with `signature-key` or `certificate-identity` + `certificate-oidc-issuer`. Checked before anything is created or any traffic moves.",
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
    "namespace": {
      "description": "Namespace of the Deployment. Default: the kubeconfig context's namespace, else `default`.",
      "required": false,
      "default": ""
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
    "router": {
      "description": "How traffic is split. `gateway-api`: the weights of an HTTPRoute's backendRefs (stable Service and canary Service), read back after every change. `istio`: the weights of a VirtualService's stable and canary destinations. `smi`: the weights of a TrafficSplit's stable and canary backends. `nginx`: a canary Ingress `<route>-canary` beside the primary Ingress, with ingress-nginx's canary-weight annotation. `pods`: no router; the canary gets a share of replicas behind the stable Service (weight = canary replicas / all replicas).",
      "required": false,
      "default": "gateway-api"
    },
    "route": {
      "description": "The object that routes to the stable Service: the HTTPRoute (`gateway-api`), VirtualService (`istio`), TrafficSplit (`smi`) or primary Ingress (`nginx`). Default: the Deployment name.",
      "required": false,
      "default": ""
    },
    "match-headers": {
      "description": "A/B (`router: gateway-api`): `Name=value` header matches, comma or newline separated; a request carrying any of them always reaches the canary while it runs, whatever the weights (an A/B rule before each weighed rule of the route, removed with the canary). With A/B matches the first step may be `0`: only matched requests, e.g. `steps: 0,pause,pause,100`.",
      "required": false,
      "default": ""
    },
    "match-cookies": {
      "description": "A/B, as `match-headers`: `name=value` cookies that always reach the canary.",
      "required": false,
      "default": ""
    },
    "service": {
      "description": "The stable Service. Default: the Deployment name.",
      "required": false,
      "default": ""
    },
    "canary-service": {
      "description": "The canary Service (every router but `pods`). Created beside the stable one (same ports, selecting the canary pods) when missing and removed after; an existing one is pointed at the canary pods and kept. Default: `<service>-canary`.",
      "required": false,
      "default": ""
    },
    "mode": {
      "description": "`canary`: traffic moves by `steps`. `blue-green`: the new version (green) is brought up beside stable (blue) at full size behind the canary Service (the preview: point a preview route at it, and smoke-test it with `pre-rollout` webhooks), then all traffic switches to it in one write, read back. Blue stays untouched and ready for `rollback-window`, analysed the whole time: a failure switches back to blue in one write. After the window blue takes the new image and green is removed. `steps` and `interval` do not apply.",
      "required": false,
      "default": "canary"
    },
    "rollback-window": {
      "description": "`mode: blue-green`: how long blue is kept ready behind the switched traffic, analysed.",
      "required": false,
      "default": "5m"
    },
    "steps": {
      "description": "Canary weights in percent, in order, comma or newline separated, e.g. `5,25,50,100`; an item `pause` holds the current weight for another interval. After the last step the canary is promoted. Default (unless `step-weight` is set): `5,25,50,100`.",
      "required": false,
      "default": ""
    },
    "step-weight": {
      "description": "Instead of `steps`: add this many percent per step, up to `max-weight`.",
      "required": false,
      "default": ""
    },
    "max-weight": {
      "description": "With `step-weight`: the last weight before promotion.",
      "required": false,
      "default": "50"
    },
    "interval": {
      "description": "How long each step is analysed before the next (the window of every built-in query).",
      "required": false,
      "default": "1m"
    },
    "sample-every": {
      "description": "How often a step's metrics are sampled within its interval. A sample that makes the step's failure certain aborts at once; promotion still needs the whole interval.",
      "required": false,
      "default": "5s"
    },
    "analysis": {
      "description": "Judge each step with Prometheus. `false`: steps advance on the canary pods' health and time alone (said in the log and the summary).",
      "required": false,
      "default": "true"
    },
    "prometheus-url": {
      "description": "The Prometheus HTTP API base URL (needed unless `analysis` is false).",
      "required": false,
      "default": ""
    },
    "prometheus-token": {
      "description": "A bearer token for Prometheus (masked).",
      "required": false,
      "default": ""
    },
    "metrics-provider": {
      "description": "Where the built-in metrics come from: `traefik` (Traefik's Gateway API service metrics), `istio` (istio_request_duration_milliseconds) or `nginx` (ingress-nginx), as Flagger defines them; `none` for only your own `metrics`. `auto`: by router — gateway-api → traefik, istio → istio, nginx → nginx, smi and pods → none.",
      "required": false,
      "default": "auto"
    },
    "success-rate-min": {
      "description": "Built-in: the lowest acceptable share of non-5xx responses of the canary, in percent; `off`: not checked.",
      "required": false,
      "default": "99"
    },
    "latency-p99-max": {
      "description": "Built-in: the highest acceptable p99 latency of the canary's responses (e.g. `500ms`); `off`: not checked.",
      "required": false,
      "default": "500ms"
    },
    "metrics": {
      "description": "Your own metrics, a YAML list of `{name, query, min, max, relative}`. Queries are PromQL with `{{namespace}}`, `{{canary}}`, `{{stable}}`, `{{canary-service}}`, `{{stable-service}}`, `{{route}}`, `{{interval}}`, `{{target}}` and `{{target-service}}` filled in; a result outside `min`/`max` fails the step. `relative: true` compares canary with stable: the query runs for each (`{{target}}`/`{{target-service}}` name the side) and the bounds apply to canary ÷ stable (e.g. `max: 1.2`: at most 20 % worse than stable).",
      "required": false,
      "default": ""
    },
    "min-requests": {
      "description": "Fewer canary requests than this in a step's interval is no data (see `on-no-data`); `0` checks nothing. Counted by the provider's request metric.",
      "required": false,
      "default": "20"
    },
    "on-no-data": {
      "description": "A metric without data, or too few requests: `inconclusive`, `fail` or `pass`.",
      "required": false,
      "default": "inconclusive"
    },
    "on-inconclusive": {
      "description": "When inconclusive measurements exceed `inconclusive-limit`: `fail` (abort), `promote`, or `wait-approval`: the canary stays at its weight, the run ends `inconclusive` (exit 0), and a later run of this action with the same image (e.g. a job behind a protected environment or a manual GitLab job) takes the step as approved and goes on from there.",
      "required": false,
      "default": "fail"
    },
    "failure-limit": {
      "description": "Failed measurements tolerated before the canary is aborted.",
      "required": false,
      "default": "0"
    },
    "inconclusive-limit": {
      "description": "Inconclusive measurements tolerated before `on-inconclusive` applies.",
      "required": false,
      "default": "0"
    },
    "error-limit": {
      "description": "Consecutive measurements that could not be taken (Prometheus down, a query error) before the canary is aborted; until then each is retried at the next sample.",
      "required": false,
      "default": "3"
    },
    "webhooks": {
      "description": "A YAML list of `{name, type, url, timeout, metadata}`, called with a JSON POST (name, namespace, phase, image, step, weight, metadata); a 2xx answer is yes. `pre-rollout`: before any traffic (no → abort); `rollout`: every step (no → that step's measurement fails); `confirm-promotion`: asked every sample until yes (no answer by its timeout → abort); `post-rollout` and `rollback`: told of the outcome.",
      "required": false,
      "default": ""
    },
    "on-stale": {
      "description": "A canary of this Deployment left by a run that stopped renewing its lease (killed job): `revert` its traffic and workload first, or `resume` it when it runs the same image (else revert).",
      "required": false,
      "default": "revert"
    },
    "lease-duration": {
      "description": "How long a run's lease outlives its last heartbeat before another run may take it over.",
      "required": false,
      "default": "30s"
    },
    "ready-timeout": {
      "description": "How long the canary (and, on promotion, the stable Deployment) may take to become ready.",
      "required": false,
      "default": "5m"
    },
    "fail-fast-restarts": {
      "description": "A canary container crash-looping this many times aborts at once, without waiting for metrics.",
      "required": false,
      "default": "2"
    }
  },
  "outputs": {
    "result": {
      "description": "`promoted`, `aborted`, `inconclusive` or `error` (a measurement could not be taken)."
    },
    "reason": {
      "description": "Why the canary ended as it did, in one line."
    },
    "weight": {
      "description": "The canary weight when the run ended (0 after an abort, 100 after promotion)."
    },
    "steps-completed": {
      "description": "How many steps passed their analysis."
    },
    "stable-image": {
      "description": "The image the stable Deployment runs at the end (the canary's after promotion)."
    },
    "measurements": {
      "description": "Path of a JSON file with every measurement (time, step, weight, each metric, outcome)."
    },
    "duration": {
      "description": "Seconds from start to the end of the run."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
