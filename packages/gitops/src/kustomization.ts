// A kustomization's `images:` entry for the image: newName (when the contract's name differs) and
// digest set, newTag removed (kustomize would write name:tag@digest from both).
import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { UserError } from '@kubeline/runtime';
import type { ImageContract } from '@kubeline/image';
import { SourceEdit, scalarText, type YamlDoc } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';
import { describeDoc, identity } from './detect.js';

const KUSTOMIZE_API = /^kustomize\.config\.k8s\.io\//;

/** A document kustomize reads as a Kustomization (or Component); anything else is refused. */
function checkKustomization(doc: YamlDoc, file: string): YAMLMap {
  const id = identity(doc);
  if (!isMap(doc.contents)) throw new UserError(`${file}: a kustomization must be a map`);
  if (id.kind === 'Kustomization' && /fluxcd\.io\//.test(id.apiVersion ?? ''))
    throw new UserError(
      `${file}: ${describeDoc(doc)} is a Flux Kustomization (${id.apiVersion}), not a kustomization.yaml: edit the kustomization.yaml in its spec.path`,
    );
  const ok =
    (id.kind === undefined && id.apiVersion === undefined) ||
    ((id.kind === 'Kustomization' || id.kind === 'Component') && KUSTOMIZE_API.test(id.apiVersion ?? ''));
  if (!ok)
    throw new UserError(`${file}: ${describeDoc(doc)} is not a kustomization (kustomize.config.k8s.io)`);
  return doc.contents;
}

export function editKustomization(
  edit: SourceEdit,
  placement: Placement,
  contract: ImageContract,
): ValueChange[] {
  const name = placement.image ?? contract.name;
  const changes: ValueChange[] = [];
  const docs = edit.docs.filter((d) => d.contents !== null);
  const entry = {
    name,
    ...(contract.name !== name ? { newName: contract.name } : {}),
    digest: contract.digest,
  };
  if (docs.length === 0) {
    edit.fillEmpty({ images: [entry] });
    return added(edit.file, entry, changes);
  }
  for (const doc of docs) {
    const root = checkKustomization(doc, edit.file);
    const images = root.get('images', true);
    if (images === undefined || isScalarNull(images)) {
      const pair = root.items.find((p) => scalarText(p.key) === 'images');
      if (pair) edit.fillNull(doc, root, pair, [entry]);
      else edit.addPairs(doc, root, { images: [entry] });
      added(edit.file, entry, changes);
      continue;
    }
    if (!isSeq(images)) throw new UserError(`${edit.file}: images must be a list`);
    editImages(edit, doc, images, entry, changes);
  }
  return changes;
}

function isScalarNull(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}

function added(file: string, entry: Record<string, string>, changes: ValueChange[]): ValueChange[] {
  for (const key of ['newName', 'digest'])
    if (entry[key]) changes.push({ file, path: `images[name=${entry.name}].${key}`, new: entry[key] });
  return changes;
}

function removal(file: string, path: string, old: string | undefined): ValueChange {
  return { file, path, ...(old === undefined ? {} : { old }), new: '', removed: true };
}

function editImages(
  edit: SourceEdit,
  doc: YamlDoc,
  images: YAMLSeq,
  entry: { name: string; newName?: string; digest: string },
  changes: ValueChange[],
): void {
  const item = images.items.find((i) => isMap(i) && scalarText(i.get('name', true)) === entry.name);
  if (!item) {
    edit.appendItem(doc, images, entry);
    added(edit.file, entry, changes);
    return;
  }
  const map = item as YAMLMap;
  const where = `images[name=${entry.name}]`;
  const missing: Record<string, string> = {};
  for (const key of ['newName', 'digest'] as const) {
    const want = entry[key];
    const node = map.get(key, true);
    const old = scalarText(node);
    if (want === undefined) {
      if (node !== undefined) {
        edit.deletePair(map, key);
        changes.push(removal(edit.file, `${where}.${key}`, old));
      }
    } else if (node === undefined) missing[key] = want;
    else if (old !== want) {
      if (!isScalar(node) || (old === undefined && node.value !== null))
        throw new UserError(`${edit.file}: ${where}.${key} must be a string`);
      edit.setScalar(node, want);
      changes.push({
        file: edit.file,
        path: `${where}.${key}`,
        ...(old === undefined ? {} : { old }),
        new: want,
      });
    }
  }
  const tag = map.get('newTag', true);
  if (tag !== undefined) {
    edit.deletePair(map, 'newTag');
    const old = scalarText(tag);
    changes.push(removal(edit.file, `${where}.newTag`, old));
  }
  if (Object.keys(missing).length > 0) {
    edit.addPairs(doc, map, missing);
    for (const [key, v] of Object.entries(missing))
      changes.push({ file: edit.file, path: `${where}.${key}`, new: v });
  }
}
