// The Kubernetes control plane: etcd, kube-apiserver (TLS, RBAC), controller-manager, scheduler.
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { host, ports, urls } from './addresses.js';
import { gobin } from './binaries.js';
import type { Daemon } from './component.js';
import { writeKubeconfig } from './kubeconfig.js';
import { paths } from './paths.js';
import { pki } from './pki.js';
import { expectOk } from './probes.js';

export const kubeconfigs = {
  admin: join(paths.kube, 'admin.kubeconfig'),
  controllerManager: join(paths.kube, 'controller-manager.kubeconfig'),
  scheduler: join(paths.kube, 'scheduler.kubeconfig'),
  limited: join(paths.kube, 'limited.kubeconfig'),
} as const;

function adminTls() {
  return {
    ca: readFileSync(pki.ca.cert),
    cert: readFileSync(pki.admin.cert),
    key: readFileSync(pki.admin.key),
  };
}

export const etcd: Daemon = {
  kind: 'daemon',
  name: 'etcd',
  ports: [ports.etcdClient, ports.etcdPeer],
  startTimeoutMs: 30_000,
  async prepare() {
    const peer = `http://${host}:${ports.etcdPeer}`;
    return {
      argv: [
        await gobin('etcd'),
        '--name=stack',
        `--data-dir=${join(paths.kube, 'etcd')}`,
        `--listen-client-urls=${urls.etcd}`,
        `--advertise-client-urls=${urls.etcd}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=stack=${peer}`,
        '--auto-compaction-retention=1',
        '--quota-backend-bytes=4294967296',
        '--unsafe-no-fsync', // a throw-away test cluster: durability is not worth the disk latency
      ],
    };
  },
  async health() {
    const body = await expectOk(`${urls.etcd}/health`);
    if (!/"health":\s*"true"/.test(body)) throw new Error(`unhealthy: ${body}`);
    return urls.etcd;
  },
};

export const kubeApiserver: Daemon = {
  kind: 'daemon',
  name: 'kube-apiserver',
  ports: [ports.apiserver],
  startTimeoutMs: 90_000,
  async prepare() {
    mkdirSync(paths.kube, { recursive: true });
    writeKubeconfig(kubeconfigs.admin, {
      server: urls.apiserver,
      caFile: pki.ca.cert,
      user: 'kubeline-admin',
      credentials: { certFile: pki.admin.cert, keyFile: pki.admin.key },
    });
    return {
      argv: [
        await gobin('kube-apiserver'),
        `--etcd-servers=${urls.etcd}`,
        `--bind-address=${host}`,
        `--advertise-address=${host}`,
        `--secure-port=${ports.apiserver}`,
        `--tls-cert-file=${pki.apiserver.cert}`,
        `--tls-private-key-file=${pki.apiserver.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        '--authorization-mode=Node,RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccount.pub}`,
        `--service-account-signing-key-file=${pki.serviceAccount.key}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        // the loopback advertise address may not be an Endpoints IP; nothing in-cluster dials it anyway
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
      ],
    };
  },
  async health() {
    const body = await expectOk(`${urls.apiserver}/readyz`, adminTls());
    if (body.trim() !== 'ok') throw new Error(`readyz: ${body}`);
    return urls.apiserver;
  },
};

function componentKubeconfig(path: string, user: string, pair: { cert: string; key: string }): void {
  writeKubeconfig(path, {
    server: urls.apiserver,
    caFile: pki.ca.cert,
    user,
    credentials: { certFile: pair.cert, keyFile: pair.key },
  });
}

/** controller-manager and scheduler serve their own self-signed health endpoints. */
async function selfSignedHealth(port: number): Promise<string> {
  const body = await expectOk(`https://${host}:${port}/healthz`, { insecure: true });
  if (body.trim() !== 'ok') throw new Error(`healthz: ${body}`);
  return `${host}:${port}`;
}

const healthPaths = '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics';

export const kubeControllerManager: Daemon = {
  kind: 'daemon',
  name: 'kube-controller-manager',
  ports: [ports.controllerManager],
  startTimeoutMs: 60_000,
  async prepare() {
    componentKubeconfig(
      kubeconfigs.controllerManager,
      'system:kube-controller-manager',
      pki.controllerManager,
    );
    return {
      argv: [
        await gobin('kube-controller-manager'),
        `--kubeconfig=${kubeconfigs.controllerManager}`,
        `--bind-address=${host}`,
        `--secure-port=${ports.controllerManager}`,
        healthPaths,
        `--root-ca-file=${pki.ca.cert}`,
        `--service-account-private-key-file=${pki.serviceAccount.key}`, // signs SA token Secrets
        '--use-service-account-credentials=true', // each controller acts with its own RBAC role
        '--leader-elect=false',
        '--kube-api-qps=100',
        '--kube-api-burst=200',
      ],
    };
  },
  health: () => selfSignedHealth(ports.controllerManager),
};

export const kubeScheduler: Daemon = {
  kind: 'daemon',
  name: 'kube-scheduler',
  ports: [ports.scheduler],
  startTimeoutMs: 60_000,
  async prepare() {
    componentKubeconfig(kubeconfigs.scheduler, 'system:kube-scheduler', pki.scheduler);
    return {
      argv: [
        await gobin('kube-scheduler'),
        `--kubeconfig=${kubeconfigs.scheduler}`,
        `--bind-address=${host}`,
        `--secure-port=${ports.scheduler}`,
        healthPaths,
        '--leader-elect=false',
      ],
    };
  },
  health: () => selfSignedHealth(ports.scheduler),
};
