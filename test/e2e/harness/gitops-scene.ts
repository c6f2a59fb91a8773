// The scene the GitOps examples expect (gitops.yml, gitops.gitlab-ci.yml): a config repository on
// the stack's git server with a staging and a production overlay of `web`, Flux following its main
// branch and applying the staging overlay (Kustomization flux-system/apps, which the examples wait
// for) into `target`, and a read-only kubeconfig for that wait.
import { afterAll, beforeAll } from '@jest/globals';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  createGitCredentials,
  createRepo,
  revisionOf,
  waitForFlux,
  type CreatedRepo,
  type RepoFiles,
} from './gitops.js';
import { adminKubeConfig } from './kube.js';
import { readOnlyKubeconfig } from './read-only.js';
import { stackTool } from './stack-env.js';
import { run } from './tools.js';

const flux = {
  namespace: 'flux-system', // the examples wait for kustomization/flux-system/apps
  source: 'examples-config',
  secret: 'examples-config-git',
  reader: 'examples-reader',
};
export const overlay = (environment: string) => `apps/web/overlays/${environment}`;

const kubectl = (args: string[]) => run([stackTool('kubectl'), ...args]);

function overlayFiles(environment: string, imageName: string): RepoFiles {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: `${imageName}:1.0` }] },
      },
    },
  };
  return {
    [`${overlay(environment)}/kustomization.yaml`]: stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['deployment.yaml'],
      images: [{ name: imageName, newTag: '1.0' }],
    }),
    [`${overlay(environment)}/deployment.yaml`]: stringify(deployment),
  };
}

async function removeFluxObjects(): Promise<void> {
  for (const kind of ['rolebinding', 'role'])
    await kubectl(['delete', kind, flux.reader, '-n', flux.namespace, '--ignore-not-found']);
  await kubectl([
    'delete',
    'kustomization',
    'apps',
    '-n',
    flux.namespace,
    '--ignore-not-found',
    '--wait=true',
  ]);
  await kubectl(['delete', 'gitrepository', flux.source, '-n', flux.namespace, '--ignore-not-found']);
  await kubectl(['delete', 'secret', flux.secret, '-n', flux.namespace, '--ignore-not-found']);
}

async function followWithFlux(repo: CreatedRepo, target: string): Promise<void> {
  const config = adminKubeConfig();
  await createGitCredentials(config, flux.namespace, flux.secret);
  const api = KubernetesObjectApi.makeApiClient(config);
  await api.create({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: flux.source, namespace: flux.namespace },
    spec: {
      url: repo.url,
      interval: '2s',
      timeout: '30s',
      ref: { branch: 'main' },
      secretRef: { name: flux.secret },
    },
  } as KubernetesObject);
  await api.create({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'apps', namespace: flux.namespace },
    spec: {
      interval: '10m',
      path: `./${overlay('staging')}`,
      prune: true,
      targetNamespace: target,
      timeout: '1m',
      sourceRef: { kind: 'GitRepository', name: flux.source },
    },
  } as KubernetesObject);
  await waitForFlux(
    config,
    'Kustomization',
    flux.namespace,
    'apps',
    `applied ${repo.commit}`,
    (k) => (k.status?.lastAppliedRevision ?? '') === revisionOf(repo.commit),
  );
}

/** Read-only: the target namespace's workloads, and the Kustomization the examples wait for. */
async function fluxReader(target: string): Promise<string> {
  const kubeconfig = await readOnlyKubeconfig(target, flux.reader);
  await kubectl([
    ...['create', 'role', flux.reader, '-n', flux.namespace, '--verb=get,list,watch'],
    '--resource=kustomizations.kustomize.toolkit.fluxcd.io,gitrepositories.source.toolkit.fluxcd.io,events',
  ]);
  await kubectl([
    ...['create', 'rolebinding', flux.reader, '-n', flux.namespace, `--role=${flux.reader}`],
    `--serviceaccount=${target}:${flux.reader}`,
  ]);
  return kubeconfig;
}

export interface GitOpsScene {
  repo: CreatedRepo;
  /** A kubeconfig that can only read what the staging wait reads. */
  readOnlyKubeconfig: string;
}

/**
 * The scene for the tests of a describe block: `repoName` on the git server with overlays pinning
 * `imageName:1.0`, applied by Flux into `target`; removed again afterwards.
 */
export function useGitOpsScene(o: { repoName: string; imageName: string; target: string }): {
  readonly scene: GitOpsScene;
} {
  const current = {} as { scene: GitOpsScene };
  beforeAll(async () => {
    await kubectl(['delete', 'namespace', o.target, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await removeFluxObjects();
    await kubectl(['create', 'namespace', o.target]);
    const repo = await createRepo(o.repoName, {
      ...overlayFiles('staging', o.imageName),
      ...overlayFiles('production', o.imageName),
    });
    await followWithFlux(repo, o.target);
    current.scene = { repo, readOnlyKubeconfig: await fluxReader(o.target) };
  }, 180_000);
  afterAll(async () => {
    await removeFluxObjects();
    await kubectl(['delete', 'namespace', o.target, '--ignore-not-found', '--wait=false']);
  });
  return current;
}
