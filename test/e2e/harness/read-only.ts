// A kubeconfig that can only read one namespace (and Flux's objects in it): what a CI job holds in
// pull-based delivery. Its token comes from the TokenRequest API, short-lived.
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { adminKubeConfig } from './kube-config.js';

const READ = ['get', 'list', 'watch'];

function objects(namespace: string, account: string): KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: account, namespace },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: READ },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
          verbs: READ,
        },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
        { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: READ },
        { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: READ },
        { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories'], verbs: READ },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: account, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    } as KubernetesObject,
  ];
}

/** Kubeconfig content for a read-only ServiceAccount of the namespace. */
export async function readOnlyKubeconfig(namespace: string, account = 'ci-reader'): Promise<string> {
  const admin = adminKubeConfig();
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const o of objects(namespace, account)) await api.create(o);
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const ca = cluster.caData ?? '';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stack', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
    users: [{ name: account, user: { token: tr.status!.token } }],
    contexts: [{ name: account, context: { cluster: 'stack', user: account, namespace } }],
    'current-context': account,
  });
}
