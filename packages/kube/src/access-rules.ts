// Whether a SelfSubjectRulesReview's resource rules grant a request, matched the way RBAC matches
// them (k8s.io/kubernetes pkg/apis/rbac/v1 evaluation_helpers.go). Pure: the review is access.ts's.

export interface ResourceAttributes {
  resource: string;
  group: string;
  subresource?: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface ResourceRequest extends ResourceAttributes {
  verb: string;
  /** A request for one object by name; list, watch and create have none. */
  name?: string;
}

const all = '*';

const verbMatches = (r: ResourceRule, verb: string) => r.verbs.includes(all) || r.verbs.includes(verb);

const groupMatches = (r: ResourceRule, group: string) =>
  (r.apiGroups ?? []).some((g) => g === all || g === group);

// `*` is every resource and subresource; `*/scale` the scale subresource of any resource.
function resourceMatches(r: ResourceRule, q: ResourceAttributes): boolean {
  const wanted = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  return (r.resources ?? []).some(
    (x) => x === all || x === wanted || (q.subresource !== undefined && x === `*/${q.subresource}`),
  );
}

/** A rule naming objects grants only requests for one of them by name. */
const nameMatches = (r: ResourceRule, name: string | undefined) =>
  !r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name));

export function ruleGrants(r: ResourceRule, q: ResourceRequest): boolean {
  return (
    verbMatches(r, q.verb) && groupMatches(r, q.group) && resourceMatches(r, q) && nameMatches(r, q.name)
  );
}

/** RBAC only adds: a request is granted when any one rule grants it. */
export const rulesGrant = (rules: readonly ResourceRule[], q: ResourceRequest): boolean =>
  rules.some((r) => ruleGrants(r, q));
