// kwok: fake Nodes, and Pods driven to Running/Ready by stages; a labelled Pod never becomes Ready.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { host, ports } from './addresses.js';
import { gobin } from './binaries.js';
import { adminConfig, applyObjects } from './cluster.js';
import type { Daemon, Step } from './component.js';
import { kubeconfigs } from './kubernetes.js';
import { paths } from './paths.js';
import { expectOk } from './probes.js';
import { kwokStages } from './kwok-stages.js';

export const nodeNames = ['kwok-node-0', 'kwok-node-1'];
const fakeNodeAnnotation = 'kwok.x-k8s.io/node';

export const kwok: Daemon = {
  kind: 'daemon',
  name: 'kwok',
  ports: [ports.kwok],
  startTimeoutMs: 60_000,
  async prepare() {
    const dir = join(paths.kube, 'kwok');
    mkdirSync(join(dir, 'home'), { recursive: true });
    const config = join(dir, 'kwok.yaml');
    writeFileSync(config, kwokStages());
    return {
      argv: [
        await gobin('kwok'),
        `--config=${config}`,
        `--kubeconfig=${kubeconfigs.admin}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${fakeNodeAnnotation}=fake`,
        `--server-address=${host}:${ports.kwok}`,
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.1/16',
      ],
      // kwok also reads ~/.kwok/kwok.yaml when present: a private HOME keeps a user's config out
      env: { ...process.env, HOME: join(dir, 'home') },
    };
  },
  async health() {
    await expectOk(`http://${host}:${ports.kwok}/healthz`);
    return `${host}:${ports.kwok}`;
  },
};

function fakeNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [fakeNodeAnnotation]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
  };
}

export const kwokNodes: Step = {
  kind: 'step',
  name: 'kwok-nodes',
  async ensure() {
    await applyObjects(nodeNames.map(fakeNode));
  },
  async health() {
    const core = adminConfig().makeApiClient(CoreV1Api);
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const ready = nodes.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (ready.length < nodeNames.length) throw new Error(`${ready.length}/${nodeNames.length} nodes Ready`);
    return `${ready.length} nodes Ready`;
  },
};
