// An Argo CD Application: helm sources get `helm.parameters` (which override every values file),
// kustomize sources get `kustomize.images` in Argo's `name[=newName]@digest` form.
import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { UserError } from '@kubeline/runtime';
import { imagePart, type ImageContract } from '@kubeline/image';
import { describeDoc, identity, isApplication } from './detect.js';
import { mappingsOf } from './helm-values.js';
import { SourceEdit, scalarText, type YamlDoc } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';

interface SourceContext {
  edit: SourceEdit;
  doc: YamlDoc;
  where: string;
  changes: ValueChange[];
}

/** The image name an Argo kustomize image entry overrides (`name`, `name:tag`, `name@digest`, `name=…`). */
export function argoImageName(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq >= 0) return entry.slice(0, eq);
  const noDigest = entry.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

/** Sets `key` of a map to a new child collection, whether the key is absent or null. */
function addChild(c: SourceContext, map: YAMLMap, key: string, value: unknown): void {
  const pair = map.items.find((p) => scalarText(p.key) === key);
  if (pair && isScalar(pair.value) && pair.value.value === null)
    c.edit.fillNull(c.doc, map, pair, value as object);
  else c.edit.addPairs(c.doc, map, { [key]: value });
}

function helmParameters(
  c: SourceContext,
  source: YAMLMap,
  params: Array<{ name: string; value: string }>,
): void {
  const helm = source.get('helm', true);
  const report = (p: { name: string; value: string }, old?: string) =>
    c.changes.push({
      file: c.edit.file,
      path: `${c.where}.helm.parameters[name=${p.name}].value`,
      ...(old === undefined ? {} : { old }),
      new: p.value,
    });
  if (!isMap(helm)) {
    if (helm !== undefined && !(isScalar(helm) && helm.value === null))
      throw new UserError(`${c.edit.file}: ${c.where}.helm must be a map`);
    addChild(c, source, 'helm', { parameters: params });
    params.forEach((p) => report(p));
    return;
  }
  const list = helm.get('parameters', true);
  if (!isSeq(list)) {
    if (list !== undefined && !(isScalar(list) && list.value === null))
      throw new UserError(`${c.edit.file}: ${c.where}.helm.parameters must be a list`);
    addChild(c, helm, 'parameters', params);
    params.forEach((p) => report(p));
    return;
  }
  for (const p of params) {
    const item = list.items.find((i) => isMap(i) && scalarText(i.get('name', true)) === p.name) as
      YAMLMap | undefined;
    const value = item?.get('value', true);
    const old = scalarText(value);
    if (old === p.value) continue;
    if (!item) c.edit.appendItem(c.doc, list, p);
    else if (isScalar(value)) c.edit.setScalar(value, p.value);
    else c.edit.addPairs(c.doc, item, { value: p.value });
    report(p, old);
  }
}

function kustomizeImages(
  c: SourceContext,
  kustomize: unknown,
  source: YAMLMap,
  name: string,
  want: string,
): void {
  const report = (old?: string) =>
    c.changes.push({
      file: c.edit.file,
      path: `${c.where}.kustomize.images[${name}]`,
      ...(old === undefined ? {} : { old }),
      new: want,
    });
  if (!isMap(kustomize)) {
    addChild(c, source, 'kustomize', { images: [want] });
    report();
    return;
  }
  const images = kustomize.get('images', true);
  if (!isSeq(images)) {
    if (images !== undefined && !(isScalar(images) && images.value === null))
      throw new UserError(`${c.edit.file}: ${c.where}.kustomize.images must be a list`);
    addChild(c, kustomize, 'images', [want]);
    report();
    return;
  }
  const item = (images as YAMLSeq).items.find((i) => argoImageName(scalarText(i) ?? '') === name);
  const old = scalarText(item);
  if (old === want) return;
  if (isScalar(item)) c.edit.setScalar(item, want);
  else c.edit.appendItem(c.doc, images, want);
  report(old);
}

function sourcesOf(doc: YamlDoc): Array<{ map: YAMLMap; where: string }> {
  const single = doc.getIn(['spec', 'source'], true);
  const many = doc.getIn(['spec', 'sources'], true);
  const found: Array<{ map: YAMLMap; where: string }> = isMap(single)
    ? [{ map: single, where: 'spec.source' }]
    : [];
  if (isSeq(many))
    many.items.forEach((s, i) => {
      if (isMap(s)) found.push({ map: s, where: `spec.sources[${i}]` });
    });
  return found;
}

export function editApplication(
  edit: SourceEdit,
  placement: Placement,
  contract: ImageContract,
): ValueChange[] {
  const apps = edit.docs.filter((d) => isApplication(identity(d)));
  if (apps.length === 0) throw new UserError(`${edit.file}: no Argo CD Application (argoproj.io) in it`);
  const name = placement.image ?? contract.name;
  const argoImage = `${name}${name !== contract.name ? `=${contract.name}` : ''}@${contract.digest}`;
  const params = mappingsOf(placement).map((m) => ({
    name: m.path.join('.'),
    value: imagePart(contract, m.part),
  }));
  const changes: ValueChange[] = [];
  for (const doc of apps) {
    let edited = 0;
    for (const s of sourcesOf(doc)) {
      const c: SourceContext = { edit, doc, where: `${describeDoc(doc)} ${s.where}`, changes };
      const kustomize = s.map.get('kustomize', true);
      if (kustomize !== undefined) kustomizeImages(c, kustomize, s.map, name, argoImage);
      else if (s.map.has('helm') || s.map.has('chart')) helmParameters(c, s.map, params);
      else continue;
      edited++;
    }
    if (edited === 0)
      throw new UserError(
        `${edit.file}: ${describeDoc(doc)} has no helm or kustomize source: add helm: {} or kustomize: {} to the source that renders the image`,
      );
  }
  return changes;
}
