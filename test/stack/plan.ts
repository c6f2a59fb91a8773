// What the stack is made of and in which order it comes up (units start once their `after` are up).
import type { PlannedUnit } from './component.js';
import { buildkitd, buildxBuilder, dockerd } from './docker.js';
import { kubeApiserver, kubeControllerManager, kubeScheduler, etcd } from './kubernetes.js';
import { kwok, kwokNodes } from './kwok.js';
import { limitedAccess } from './limited-access.js';
import { mirrorContent, mirrorServer } from './mirror.js';
import { fluxCrds, helmController, kustomizeController, sourceController } from './flux.js';
import { gatewayApi, traefik } from './gateway.js';
import { gitServer } from './git-server.js';
import { sshServer } from './ssh-server.js';
import { npmRegistry } from './npm-registry.js';
import { prometheus } from './prometheus.js';
import { openRegistry, tlsAuthRegistry } from './registries.js';
import { tools } from './tools.js';
import { trivyDb } from './trivydb.js';

export const plan: PlannedUnit[] = [
  { unit: etcd, after: [] },
  { unit: kubeApiserver, after: ['etcd'] },
  { unit: kubeControllerManager, after: ['kube-apiserver'] },
  { unit: kubeScheduler, after: ['kube-apiserver'] },
  { unit: kwok, after: ['kube-apiserver'] },
  { unit: kwokNodes, after: ['kwok'] },
  { unit: limitedAccess, after: ['kube-controller-manager'] },
  { unit: openRegistry, after: [] },
  { unit: tlsAuthRegistry, after: [] },
  { unit: mirrorContent, after: [] },
  { unit: mirrorServer, after: ['mirror-content'] },
  { unit: tools, after: ['tool-mirror'] },
  { unit: dockerd, after: [] },
  { unit: buildkitd, after: [] },
  { unit: buildxBuilder, after: ['dockerd', 'buildkitd', 'tools'] },
  { unit: prometheus, after: [] },
  { unit: trivyDb, after: ['registry'] },
  { unit: gatewayApi, after: ['kube-apiserver'] },
  { unit: traefik, after: ['gateway-api', 'prometheus'] },
  { unit: gitServer, after: [] },
  { unit: sshServer, after: [] },
  { unit: npmRegistry, after: [] },
  { unit: fluxCrds, after: ['kube-apiserver'] },
  { unit: sourceController, after: ['flux-crds'] },
  { unit: kustomizeController, after: ['source-controller'] },
  { unit: helmController, after: ['source-controller'] },
];
