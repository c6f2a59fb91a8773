// Generated from action.yml by `npm run gen`; do not edit.
export const action = {
  "name": "build-image",
  "description": "Builds a container image with BuildKit (docker buildx) or buildah, pushes it, and hands on the digest the registry serves, per-platform digests included, as kubeline's image contract. Tags are immutable by default: `latest` and re-pointing an existing tag to another digest are refused.",
  "inputs": {
    "builder": {
      "description": "`buildx` (BuildKit: a standalone buildkitd when `buildkit-host` is set, else a buildx builder, see `buildx-builder`) or `buildah` (daemonless).",
      "required": false,
      "default": "buildx"
    },
    "context": {
      "description": "Build context folder.",
      "required": false,
      "default": "."
    },
    "file": {
      "description": "Path of the Dockerfile. Default: `Dockerfile` in the context.",
      "required": false,
      "default": ""
    },
    "repository": {
      "description": "Repository the image goes to, without a tag (`ghcr.io/acme/web`). Needed when `tags` is empty or holds bare tags such as `v1.2.3`.",
      "required": false,
      "default": ""
    },
    "tags": {
      "description": "Tags to push, newline or comma separated: full references (`ghcr.io/acme/web:v1`) or bare tags added to `repository`. Empty: derived from the git, GitHub or GitLab context (`sha-<7>`, the version of a semver git tag; also the branch or `pr-<n>` under the mutable policy).",
      "required": false,
      "default": ""
    },
    "tag-policy": {
      "description": "`immutable` refuses the tag `latest` and a tag that already points to a different digest in the registry (nothing is re-pointed); `mutable` moves tags and says which moved.",
      "required": false,
      "default": "immutable"
    },
    "labels": {
      "description": "Image labels, one `key=value` per line. OCI labels (source, revision, created, version) from the git context are added unless given here.",
      "required": false,
      "default": ""
    },
    "build-args": {
      "description": "Build arguments, one `NAME=value` per line. They are stored in the image history: use `secrets` for secrets.",
      "required": false,
      "default": ""
    },
    "secrets": {
      "description": "Build secrets, one `id=value` per line, mounted with `RUN --mount=type=secret,id=<id>`. They are masked in every log and never stored in a layer.",
      "required": false,
      "default": ""
    },
    "platforms": {
      "description": "Target platforms, newline or comma separated (`linux/amd64,linux/arm64`). Several give a multi-platform index. Default: the builder's own.",
      "required": false,
      "default": ""
    },
    "push": {
      "description": "Push to the registry and report the digest it serves. `false` builds only: `digest` is then the digest the builder computed for the manifest, and `image-json` says `pushed: false`.",
      "required": false,
      "default": "true"
    },
    "cache-from": {
      "description": "External cache sources, one per line, in buildx syntax (`type=registry,ref=<repo>:cache`).",
      "required": false,
      "default": ""
    },
    "cache-to": {
      "description": "Cache export destinations, one per line, in buildx syntax (`type=registry,ref=<repo>:cache,mode=max`). A failed cache export is a warning, never a failed build.",
      "required": false,
      "default": ""
    },
    "target": {
      "description": "Build stage to stop at.",
      "required": false,
      "default": ""
    },
    "provenance": {
      "description": "Provenance attestation: `false`, `true`, or buildx's `mode=min` / `mode=max`. Off by default, so a single-platform image is a plain manifest (buildx only; needs buildx 0.10 or newer).",
      "required": false,
      "default": "false"
    },
    "sbom": {
      "description": "SBOM attestation: `false` or `true` (buildx only; needs buildx 0.10 or newer).",
      "required": false,
      "default": "false"
    },
    "pull": {
      "description": "Always pull newer versions of base images.",
      "required": false,
      "default": "false"
    },
    "no-cache": {
      "description": "Build without using the builder's cache.",
      "required": false,
      "default": "false"
    },
    "timeout": {
      "description": "How long the build and its push may take (e.g. `30m`, `2h`); a build still running then is stopped and the step fails naming this bound. Tagging and registry reads have fixed bounds of their own (2 min each).",
      "required": false,
      "default": "60m"
    },
    "registry-username": {
      "description": "User for the registries of `tags`; written to a private docker config removed when the job step ends. Empty: existing docker logins are used.",
      "required": false,
      "default": ""
    },
    "registry-password": {
      "description": "Password or token for `registry-username`. Masked in every log.",
      "required": false,
      "default": ""
    },
    "registry-ca": {
      "description": "CA certificate (PEM text, or the path of a PEM file) to trust for the registry, for kubeline's registry checks, buildah and buildx's tagging. A remote buildkitd trusts registries through its own buildkitd.toml.",
      "required": false,
      "default": ""
    },
    "buildkit-host": {
      "description": "Address of a standalone buildkitd (`unix:///run/buildkit/buildkitd.sock`, `tcp://…`), used through a buildx `remote` builder. Default: the BUILDKIT_HOST variable (ignored when `buildx-builder` is set), else the current buildx builder.",
      "required": false,
      "default": ""
    },
    "buildx-builder": {
      "description": "Name of an existing buildx builder to build on, such as the `name` output of docker/setup-buildx-action. Empty: the current builder of your own buildx config (what `docker buildx use` or setup-buildx-action selected); when that one uses the `docker` driver and the build needs several platforms or a `cache-to` other than inline, kubeline creates a docker-container builder for the build and removes it in its post step. Not together with `buildkit-host`.",
      "required": false,
      "default": ""
    },
    "buildx-driver-opts": {
      "description": "Driver options, one `key=value` per line (`network=host`, `image=moby/buildkit:v0.x`), used only when kubeline creates its own docker-container builder.",
      "required": false,
      "default": ""
    },
    "load": {
      "description": "Also load the image into the local docker image store (to scan it before the push, e.g. with trivy-scan on the local image). One platform only (buildx only).",
      "required": false,
      "default": "false"
    },
    "buildx-version": {
      "description": "docker buildx version: `default`, a pinned version or a prefix, installed verified like setup-tools does.",
      "required": false,
      "default": "default"
    }
  },
  "outputs": {
    "digest": {
      "description": "Digest of the pushed manifest (an index for several platforms) as the registry serves it, checked after the push. Never empty: a build that cannot give one fails."
    },
    "image": {
      "description": "The image by digest, `name@digest`."
    },
    "image-id": {
      "description": "The image ID (config digest; buildah's local ID). Not a registry digest."
    },
    "tags": {
      "description": "Every reference pushed, comma separated."
    },
    "platforms": {
      "description": "JSON list of `{\"platform\",\"digest\"}`: the digest of each platform's manifest, for signing and deploying per platform."
    },
    "metadata": {
      "description": "JSON: the build metadata (buildx `--metadata-file`, or the same keys for buildah)."
    },
    "loaded": {
      "description": "`true` when the image was loaded into the local docker image store (`load`), else `false`."
    },
    "image-json": {
      "description": "The image contract as JSON: name, digest, ref (name@digest), tags, platforms, pushed, labels. Every kubeline action's `image` input accepts it."
    }
  },
  "post": true
} as const;

export type InputName = keyof typeof action.inputs;
export type OutputName = keyof typeof action.outputs;
