import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClusterUnreachableError,
  KubeAccessError,
  KubeApiError,
  explainForbidden,
  explainKubeError,
  parseForbidden,
  parseResource,
} from '@kubeline/kube';
import { KubelineError } from '@kubeline/runtime';

const sa = 'system:serviceaccount:kubeline-limited:kubeline-deployer';

describe('forbidden messages', () => {
  it('names user, verb, resource and namespace', () => {
    const msg = `pods is forbidden: User "${sa}" cannot list resource "pods" in API group "" in the namespace "kube-system"`;
    expect(parseForbidden(msg)).toEqual({
      user: sa,
      verb: 'list',
      resource: 'pods',
      namespace: 'kube-system',
    });
    expect(explainForbidden(msg)).toBe(`forbidden: ${sa} cannot list pods in namespace kube-system`);
  });

  it('spells grouped resources and subresources like kubectl', () => {
    const msg = `deployments.apps "web" is forbidden: User "${sa}" cannot patch resource "deployments/scale" in API group "apps" in the namespace "prod"`;
    expect(explainForbidden(msg)).toBe(
      `forbidden: ${sa} cannot patch deployments.apps/scale in namespace prod`,
    );
  });

  it('says cluster-wide for cluster-scoped requests, and keeps trailing RBAC detail out', () => {
    const msg = `nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: role "x" not found`;
    expect(explainForbidden(msg)).toBe('forbidden: alice cannot list nodes cluster-wide');
  });

  it('falls back to the message when it is not an RBAC refusal', () => {
    expect(explainForbidden('admission webhook "policy" denied the request')).toBe(
      'forbidden: admission webhook "policy" denied the request',
    );
  });

  it('parses kubectl resource spellings for access reviews', () => {
    expect(parseResource('pods')).toEqual({ resource: 'pods', group: '', subresource: undefined });
    expect(parseResource('ingresses.networking.k8s.io')).toEqual({
      resource: 'ingresses',
      group: 'networking.k8s.io',
      subresource: undefined,
    });
    expect(parseResource('deployments.apps/scale')).toEqual({
      resource: 'deployments',
      group: 'apps',
      subresource: 'scale',
    });
  });
});

describe('explainKubeError', () => {
  const ctx = { server: 'https://10.0.0.1:6443', user: 'ci', action: 'listNamespacedPod' };

  it('a target fetch refuses before connecting (a blocked port) is unreachable, not a bug', async () => {
    const err = await fetch('http://127.0.0.1:1/').catch((e: unknown) => e);
    const out = explainKubeError(err, { server: 'http://127.0.0.1:1' });
    expect(out).toBeInstanceOf(ClusterUnreachableError);
    expect(out.message).toBe('cannot reach the Kubernetes API at http://127.0.0.1:1: bad port');
  });

  it('a request that ran out of its bound is unreachable, naming the call and the bound — not HTTP 23', () => {
    const timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const out = explainKubeError(timedOut, { ...ctx, timeoutMs: 60_000 });
    expect(out).toBeInstanceOf(ClusterUnreachableError);
    expect(out.message).toBe(
      'cannot reach the Kubernetes API at https://10.0.0.1:6443: no answer to listNamespacedPod within 1m0s (KUBELINE_KUBE_REQUEST_TIMEOUT_MS)',
    );
  });

  it('turns a client-node ApiException with a Status body into a one-line error', () => {
    const apiException = {
      code: 409,
      body: JSON.stringify({
        kind: 'Status',
        message: 'configmaps "x" already exists',
        reason: 'AlreadyExists',
      }),
      message: 'HTTP-Code: 409\nMessage: Unknown API Status Code!\nBody: ...',
    };
    const err = explainKubeError(apiException, ctx);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({
      message: 'configmaps "x" already exists',
      status: 409,
      reason: 'AlreadyExists',
    });
  });

  it('explains a 403 without a Status body by the action', () => {
    const err = explainKubeError(Object.assign(new Error('Forbidden'), { statusCode: 403 }), ctx);
    expect(err).toBeInstanceOf(KubeAccessError);
    expect(err.message).toBe('forbidden: listNamespacedPod was refused');
  });

  it('keeps kubeline errors and unknown bugs as they are', () => {
    const ours = new KubelineError('already explained');
    expect(explainKubeError(ours, ctx)).toBe(ours);
    const bug = new TypeError('x is undefined');
    expect(explainKubeError(bug, ctx)).toBe(bug);
  });

  it('names the server and the reason for a real refused connection', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const fetchError = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    const err = explainKubeError(fetchError, { server: `https://127.0.0.1:${port}` });
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect(err.message).toBe(
      `cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused`,
    );
  });

  it('finds the code inside an AggregateError (IPv6 and IPv4 both refused)', () => {
    const refused = (addr: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${addr}`), { code: 'ECONNREFUSED' });
    const err = new TypeError('fetch failed', {
      cause: new AggregateError([refused('::1:6443'), refused('127.0.0.1:6443')]),
    });
    expect(explainKubeError(err, { server: 'https://localhost:6443' }).message).toBe(
      'cannot reach the Kubernetes API at https://localhost:6443: connection refused',
    );
  });

  it('says an untrusted certificate is a CA problem in the kubeconfig', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(explainKubeError(new TypeError('fetch failed', { cause: tls }), ctx).message).toBe(
      'cannot reach the Kubernetes API at https://10.0.0.1:6443: its TLS certificate is not trusted (self-signed certificate in certificate chain); check certificate-authority-data in the kubeconfig',
    );
  });
});
