// A ServiceAccount whose Role reaches one namespace only, with a kubeconfig for it: tests that
// kubeline works with least privilege, and is refused elsewhere, run against real RBAC.
import { existsSync } from 'node:fs';
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { urls } from './addresses.js';
import { adminConfig, applyObjects } from './cluster.js';
import type { Step } from './component.js';
import { writeKubeconfig } from './kubeconfig.js';
import { kubeconfigs } from './kubernetes.js';
import { pki } from './pki.js';
import { pollUntil } from './wait.js';

export const limitedNamespace = 'kubeline-limited';
const account = 'kubeline-deployer';
const tokenSecret = `${account}-token`;

function rbacObjects(): KubernetesObject[] {
  const namespace = limitedNamespace;
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: account, namespace },
      rules: [
        {
          apiGroups: [''],
          resources: [
            'pods',
            'pods/log',
            'services',
            'configmaps',
            'secrets',
            'events',
            'serviceaccounts',
            'endpoints',
            'persistentvolumeclaims',
          ],
          verbs,
        },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'deployments/scale', 'replicasets', 'statefulsets', 'daemonsets'],
          verbs,
        },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs },
        // kubeline's release lock
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: account, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    } as KubernetesObject,
    // A long-lived token Secret, filled in by the controller-manager's token controller.
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: tokenSecret,
        namespace,
        annotations: { 'kubernetes.io/service-account.name': account },
      },
    } as KubernetesObject,
  ];
}

async function readToken(): Promise<string | undefined> {
  const core = adminConfig().makeApiClient(CoreV1Api);
  const secret = await core.readNamespacedSecret({ name: tokenSecret, namespace: limitedNamespace });
  const token = secret.data?.token;
  return token ? Buffer.from(token, 'base64').toString('utf8') : undefined;
}

export const limitedAccess: Step = {
  kind: 'step',
  name: 'limited-kubeconfig',
  async ensure() {
    await applyObjects(rbacObjects());
    const token = await pollUntil(readToken, { timeoutMs: 30_000 });
    writeKubeconfig(kubeconfigs.limited, {
      server: urls.apiserver,
      caFile: pki.ca.cert,
      user: account,
      credentials: { token },
      namespace: limitedNamespace,
    });
  },
  async health() {
    if (!existsSync(kubeconfigs.limited)) throw new Error(`${kubeconfigs.limited} missing`);
    if (!(await readToken())) throw new Error('token Secret not filled');
    return `${account} in ${limitedNamespace}`;
  },
};
