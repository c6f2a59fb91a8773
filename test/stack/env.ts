// .stack/env: the sourceable KEY=value file that tells tests (and people) where everything is.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { authRegistry, registry, urls } from './addresses.js';
import { buildkitHost, builderName, dockerHost } from './docker.js';
import { kubeconfigs } from './kubernetes.js';
import { fluxNamespace } from './flux.js';
import { gatewayName, gatewayNamespace } from './gateway.js';
import { gitServerPassword, gitServerUser } from './git-server.js';
import { limitedNamespace } from './limited-access.js';
import { sshBaseUrl, sshFiles } from './ssh-server.js';
import { npmRegistryPassword, npmRegistryUser } from './npm-registry.js';
import { manifestPath } from './mirror.js';
import { paths, stackDir } from './paths.js';
import { pki } from './pki.js';
import { authRegistryPassword, authRegistryUser } from './registries.js';
import { trivyDbRepository } from './trivydb.js';
import { parseEnv, renderEnv, type StackEnv } from './env-file.js';

export function stackEnv(): StackEnv {
  return {
    STACK_DIR: stackDir,
    KUBECONFIG: kubeconfigs.admin,
    KUBECONFIG_LIMITED: kubeconfigs.limited,
    LIMITED_NAMESPACE: limitedNamespace,
    KUBE_APISERVER: urls.apiserver,
    REGISTRY: registry,
    AUTH_REGISTRY: authRegistry,
    AUTH_REGISTRY_USER: authRegistryUser,
    AUTH_REGISTRY_PASSWORD: authRegistryPassword(),
    AUTH_REGISTRY_CA: pki.ca.cert,
    PROMETHEUS_URL: urls.prometheus,
    PROMETHEUS_TARGETS_DIR: paths.promTargets,
    DOCKER_HOST: dockerHost,
    DOCKER_CONFIG: paths.dockerConfig,
    BUILDKIT_HOST: buildkitHost,
    BUILDX_BUILDER: builderName,
    TRIVY_DB_REPOSITORY: trivyDbRepository,
    STACK_BIN: paths.bin,
    TOOLS_MIRROR: urls.mirror,
    TOOLS_MANIFEST: manifestPath,
    GATEWAY_URL: urls.gateway,
    GATEWAY_NAMESPACE: gatewayNamespace,
    GATEWAY_NAME: gatewayName,
    GIT_SERVER_URL: urls.gitServer,
    GIT_SERVER_USER: gitServerUser,
    GIT_SERVER_PASSWORD: gitServerPassword(),
    GIT_SERVER_ROOT: paths.git,
    GIT_SSH_URL: sshBaseUrl(),
    GIT_SSH_KEY: sshFiles.clientKey,
    GIT_SSH_KNOWN_HOSTS: sshFiles.knownHosts,
    FLUX_NAMESPACE: fluxNamespace,
    NPM_REGISTRY_URL: urls.npmRegistry,
    NPM_REGISTRY_USER: npmRegistryUser,
    NPM_REGISTRY_PASSWORD: npmRegistryPassword(),
  };
}

export function writeEnv(env: StackEnv): void {
  const tmp = `${paths.env}.tmp`;
  writeFileSync(tmp, renderEnv(env), { mode: 0o600 });
  renameSync(tmp, paths.env); // readers never see half a file
}

export function readEnvFile(): StackEnv | undefined {
  return existsSync(paths.env) ? parseEnv(readFileSync(paths.env, 'utf8')) : undefined;
}
