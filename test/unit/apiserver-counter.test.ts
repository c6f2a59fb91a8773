import { countedRequest } from '../support/apiserver-counter.js';

describe('countedRequest: what apiserver_request_total would count a proxied request as', () => {
  test.each([
    ['GET', '/api/v1/namespaces/a/pods?watch=true&labelSelector=x', 'WATCH pods', 'a'],
    ['GET', '/api/v1/namespaces/a/pods?watch=1', 'WATCH pods', 'a'],
    ['GET', '/api/v1/namespaces/a/pods', 'LIST pods', 'a'],
    ['GET', '/apis/apps/v1/namespaces/a/deployments/web', 'GET deployments', 'a'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/web/scale', 'PATCH deployments/scale', 'a'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/a/leases/kubeline-lock-web', 'PUT leases', 'a'],
    ['DELETE', '/api/v1/namespaces/a/pods', 'DELETECOLLECTION pods', 'a'],
    ['DELETE', '/api/v1/namespaces/a/pods/p', 'DELETE pods', 'a'],
    ['GET', '/api/v1/namespaces/a', 'GET namespaces', 'a'],
    ['PUT', '/api/v1/namespaces/a/finalize', 'PUT namespaces/finalize', 'a'],
    [
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      'POST selfsubjectaccessreviews',
      undefined,
    ],
    ['GET', '/api/v1/nodes', 'LIST nodes', undefined],
  ])('%s %s → %s', (method, url, key, namespace) => {
    expect(countedRequest(method, url)).toEqual({ key, namespace });
  });

  test('non-resource URLs (discovery, version, openapi) are counted by their first two path segments', () => {
    expect(countedRequest('GET', '/version')).toEqual({ key: 'GET /version' });
    expect(countedRequest('GET', '/openapi/v3/apis/apps/v1?hash=x')).toEqual({ key: 'GET /openapi/v3' });
    expect(countedRequest('GET', '/apis/apps/v1')).toEqual({ key: 'GET /apis/apps' });
    expect(countedRequest('GET', '/api')).toEqual({ key: 'GET /api' });
  });
});
