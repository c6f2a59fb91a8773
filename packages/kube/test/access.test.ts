import type http from 'node:http';
import { parseResource, requireAccess, ruleGrants, rulesGrant, type ResourceRule } from '@kubeline/kube';
import { json, status, useFakeCluster } from './fake-apiserver.js';

const ask = (verb: string, resource: string, name?: string) => ({ verb, ...parseResource(resource), name });

describe('ruleGrants: RBAC matching of a rules review', () => {
  const deployments: ResourceRule = {
    verbs: ['get', 'patch'],
    apiGroups: ['apps'],
    resources: ['deployments'],
  };

  it('needs the verb, the group and the resource', () => {
    expect(ruleGrants(deployments, ask('patch', 'deployments.apps'))).toBe(true);
    expect(ruleGrants(deployments, ask('delete', 'deployments.apps'))).toBe(false);
    expect(ruleGrants(deployments, ask('get', 'deployments.extensions'))).toBe(false);
    expect(ruleGrants(deployments, ask('get', 'deployments'))).toBe(false); // the core group is ''
    expect(ruleGrants(deployments, ask('get', 'replicasets.apps'))).toBe(false);
    expect(ruleGrants({ verbs: ['get'], resources: ['pods'] }, ask('get', 'pods'))).toBe(false); // no apiGroups
    expect(ruleGrants({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, ask('get', 'pods'))).toBe(
      true,
    );
  });

  it('a subresource is its own resource: deployments does not grant deployments/scale, nor the reverse', () => {
    const scale: ResourceRule = { verbs: ['patch'], apiGroups: ['apps'], resources: ['deployments/scale'] };
    expect(ruleGrants(deployments, ask('patch', 'deployments.apps/scale'))).toBe(false);
    expect(ruleGrants(scale, ask('patch', 'deployments.apps/scale'))).toBe(true);
    expect(ruleGrants(scale, ask('patch', 'deployments.apps'))).toBe(false);
    expect(ruleGrants(scale, ask('patch', 'statefulsets.apps/scale'))).toBe(false);
  });

  it('* in verbs, groups and resources; */sub for a subresource of any resource (sub/* is not RBAC)', () => {
    const admin: ResourceRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleGrants(admin, ask('deletecollection', 'httproutes.gateway.networking.k8s.io'))).toBe(true);
    expect(ruleGrants(admin, ask('get', 'pods/log'))).toBe(true);
    const anyScale: ResourceRule = { verbs: ['patch'], apiGroups: ['apps'], resources: ['*/scale'] };
    expect(ruleGrants(anyScale, ask('patch', 'statefulsets.apps/scale'))).toBe(true);
    expect(ruleGrants(anyScale, ask('patch', 'statefulsets.apps'))).toBe(false);
    const subStar: ResourceRule = { verbs: ['get'], apiGroups: [''], resources: ['pods/*'] };
    expect(ruleGrants(subStar, ask('get', 'pods/log'))).toBe(false);
    const anyVerb: ResourceRule = { verbs: ['*'], apiGroups: [''], resources: ['services'] };
    expect(ruleGrants(anyVerb, ask('delete', 'services'))).toBe(true);
    expect(ruleGrants(anyVerb, ask('delete', 'secrets'))).toBe(false);
  });

  it('resourceNames grant only requests for one of those objects, never list, watch or create', () => {
    const named: ResourceRule = {
      verbs: ['get', 'update', 'list'],
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: ['kubeline-canary-web'],
    };
    expect(ruleGrants(named, ask('get', 'leases.coordination.k8s.io', 'kubeline-canary-web'))).toBe(true);
    expect(ruleGrants(named, ask('get', 'leases.coordination.k8s.io', 'other'))).toBe(false);
    expect(ruleGrants(named, ask('list', 'leases.coordination.k8s.io'))).toBe(false);
    expect(ruleGrants({ ...named, resourceNames: [] }, ask('list', 'leases.coordination.k8s.io'))).toBe(true);
  });

  it('RBAC only adds: any one rule is enough', () => {
    const rules: ResourceRule[] = [
      { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] },
      { verbs: ['patch'], apiGroups: ['apps'], resources: ['deployments'] },
    ];
    expect(rulesGrant(rules, ask('patch', 'deployments.apps'))).toBe(true);
    expect(rulesGrant(rules, ask('delete', 'deployments.apps'))).toBe(false);
    expect(rulesGrant([], ask('get', 'pods'))).toBe(false);
  });
});

describe('requireAccess against a fake API server', () => {
  const fake = useFakeCluster();
  const RULES = 'POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
  const SSAR = 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
  const needs = [
    ['get', 'deployments.apps'],
    ['patch', 'deployments.apps/scale'],
    ['list', 'pods'],
    ['create', 'leases.coordination.k8s.io'],
  ] as const;
  const rules: ResourceRule[] = [
    { verbs: ['get', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] },
    { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
  ];
  /** Answers access reviews from `allowed` (`verb resource.group/sub`), recording each. */
  let asked: string[];
  const accessReviews = (allowed: string[]) =>
    fake.api.on('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (_u, res, req) => {
      void body(req).then((b) => {
        const a = (b as { spec: { resourceAttributes: Record<string, string> } }).spec.resourceAttributes;
        const key = `${a.verb} ${a.resource}${a.group ? `.${a.group}` : ''}${a.subresource ? `/${a.subresource}` : ''}`;
        asked.push(key);
        json(res, 201, { ...(b as object), status: { allowed: allowed.includes(key) } });
      });
    });
  const rulesReview = (status: object) =>
    fake.api.on('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', (_u, res, req) => {
      void body(req).then((b) => json(res, 201, { ...(b as object), status }));
    });
  const count = (request: string) => fake.api.requests.filter((r) => r === request).length;

  beforeAll(() => {
    fake.api.on('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', (_u, res) =>
      json(res, 201, { status: { userInfo: { username: 'system:serviceaccount:shop:ci' } } }),
    );
  });
  beforeEach(() => {
    fake.api.requests.length = 0;
    asked = [];
  });

  it('one complete rules review answers every need: no access review at all', async () => {
    rulesReview({
      resourceRules: [
        ...rules,
        { verbs: ['create'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] },
      ],
      incomplete: false,
    });
    accessReviews([]);
    await requireAccess(fake.cluster, 'shop', needs);
    expect(fake.api.requests).toEqual([RULES]);
  });

  it('what a complete review does not grant is asked by access review, and named when refused', async () => {
    rulesReview({ resourceRules: rules, incomplete: false });
    accessReviews([]);
    await expect(requireAccess(fake.cluster, 'shop', needs)).rejects.toThrow(
      'forbidden: system:serviceaccount:shop:ci cannot create leases.coordination.k8s.io in namespace shop',
    );
    expect(asked).toEqual(['create leases.coordination.k8s.io']);
    expect(count(RULES)).toBe(1);
  });

  it('an incomplete review (a webhook authorizer) falls back to one access review per need', async () => {
    rulesReview({
      resourceRules: rules,
      incomplete: true,
      evaluationError: 'webhook authorizer does not support user rule resolution',
    });
    accessReviews([
      'get deployments.apps',
      'patch deployments.apps/scale',
      'list pods',
      'create leases.coordination.k8s.io',
    ]);
    await requireAccess(fake.cluster, 'shop', needs);
    expect(count(SSAR)).toBe(needs.length);
    expect(asked.sort()).toEqual(needs.map(([v, r]) => `${v} ${r}`).sort());
  });

  it('a rules review the API server refuses falls back to access reviews', async () => {
    fake.api.on('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', (_u, res) =>
      status(res, 403, 'Forbidden', 'selfsubjectrulesreviews.authorization.k8s.io is forbidden'),
    );
    accessReviews(['get deployments.apps', 'patch deployments.apps/scale', 'list pods']);
    await expect(requireAccess(fake.cluster, 'shop', needs)).rejects.toThrow(
      'cannot create leases.coordination.k8s.io in namespace shop',
    );
    expect(count(SSAR)).toBe(needs.length);
  });
});

function body(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => resolve(JSON.parse(data)));
  });
}
