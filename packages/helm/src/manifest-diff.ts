// What a deploy would change, resource by resource: the manifest helm would apply against the one
// the live release applied last. kubeline's own annotations change on every run and are left out.
import { parseAllDocuments } from 'yaml';
import { ANNOTATION_PREFIX } from './release-metadata.js';

export type Change = 'added' | 'changed' | 'removed' | 'unchanged';

export interface ResourceChange {
  kind: string;
  name: string;
  namespace?: string;
  change: Change;
  /** Changed fields (dotted paths), the first few. */
  fields?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Keyed {
  key: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  body: Obj;
}

function withoutOwnAnnotations(o: Obj): Obj {
  const meta = isObj(o.metadata) ? o.metadata : {};
  const annotations = isObj(meta.annotations) ? meta.annotations : undefined;
  if (!annotations) return o;
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => !k.startsWith(ANNOTATION_PREFIX)),
  );
  const metadata: Obj = { ...meta, annotations: kept };
  if (Object.keys(kept).length === 0) delete metadata.annotations;
  return { ...o, metadata };
}

export function parseManifest(text: string, namespace: string): Keyed[] {
  const out: Keyed[] = [];
  for (const doc of parseAllDocuments(text)) {
    const v: unknown = 'toJS' in doc ? doc.toJS() : undefined;
    if (!isObj(v) || typeof v.kind !== 'string' || !isObj(v.metadata)) continue;
    const ns = typeof v.metadata.namespace === 'string' ? v.metadata.namespace : namespace;
    const group = String(v.apiVersion ?? '')
      .split('/')
      .slice(0, -1)
      .join('/');
    const name = String(v.metadata.name ?? '');
    out.push({
      key: `${group}|${v.kind}|${ns}|${name}`,
      apiVersion: String(v.apiVersion ?? ''),
      kind: v.kind,
      name,
      namespace: ns,
      body: withoutOwnAnnotations(v),
    });
  }
  return out;
}

/** Leaf paths where a and b differ, in document order. */
export function changedFields(a: unknown, b: unknown, at = ''): string[] {
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedFields(a[k], b[k], at ? `${at}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.flatMap((x, i) => changedFields(x, b[i], `${at}[${i}]`));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at || '(root)'];
}

export function diffManifests(live: string, next: string, namespace: string): ResourceChange[] {
  const before = new Map(parseManifest(live, namespace).map((r) => [r.key, r]));
  const changes: ResourceChange[] = [];
  for (const r of parseManifest(next, namespace)) {
    const old = before.get(r.key);
    before.delete(r.key);
    const id = { kind: r.kind, name: r.name, namespace: r.namespace };
    if (!old) changes.push({ ...id, change: 'added' });
    else {
      const fields = changedFields(old.body, r.body);
      changes.push(
        fields.length
          ? { ...id, change: 'changed', fields: fields.slice(0, 5) }
          : { ...id, change: 'unchanged' },
      );
    }
  }
  for (const r of before.values())
    changes.push({ kind: r.kind, name: r.name, namespace: r.namespace, change: 'removed' });
  return changes;
}

export function countChanges(changes: ResourceChange[]): Record<Change, number> {
  const counts: Record<Change, number> = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  for (const c of changes) counts[c.change]++;
  return counts;
}
