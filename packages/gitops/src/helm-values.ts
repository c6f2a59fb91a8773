// Helm values: each mapped path (helm-deploy's `image-values-path`) set to its part of the image,
// creating maps on the way. Also the editor of a Flux HelmRelease's spec.values.
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { UserError } from '@kubeline/runtime';
import { imagePart, parseImageValuesPath, type ImageContract, type ImageMapping } from '@kubeline/image';
import { SourceEdit, scalarText, type YamlDoc } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';

export type Overlay = { [key: string]: Overlay | string };

/** The mappings as one tree, so keys sharing a missing parent are created together. */
export function valuesOverlay(mappings: ImageMapping[], contract: ImageContract): Overlay {
  const root: Overlay = {};
  for (const m of mappings) {
    let node = root;
    for (const key of m.path.slice(0, -1)) {
      const next = node[key];
      node = typeof next === 'object' ? next : (node[key] = {});
    }
    node[m.path[m.path.length - 1]!] = imagePart(contract, m.part);
  }
  return root;
}

export function mappingsOf(placement: Placement): ImageMapping[] {
  return placement.values ?? parseImageValuesPath('image');
}

/** Merges the overlay into a map; `where` names the map in changes and errors. */
export function mergeOverlay(
  edit: SourceEdit,
  doc: YamlDoc,
  map: YAMLMap,
  overlay: Overlay,
  where: string[],
  changes: ValueChange[],
): void {
  const missing: Overlay = {};
  for (const [key, want] of Object.entries(overlay)) {
    const path = [...where, key];
    const pair = map.items.find((p) => scalarText(p.key) === key);
    if (!pair) {
      missing[key] = want;
      continue;
    }
    if (typeof want === 'string') {
      const old = scalarText(pair.value);
      if (!isScalar(pair.value) || (pair.value.value !== null && old === undefined))
        throw new UserError(
          `${edit.file}: ${path.join('.')} is a map or list, not a value: check values-path`,
        );
      if (old === want) continue;
      edit.setScalar(pair.value, want);
      changes.push({
        file: edit.file,
        path: path.join('.'),
        ...(old === undefined ? {} : { old }),
        new: want,
      });
    } else if (isMap(pair.value)) {
      mergeOverlay(edit, doc, pair.value, want, path, changes);
    } else if (isScalar(pair.value) && pair.value.value === null) {
      edit.fillNull(doc, map, pair, want);
      addedChanges(edit.file, want, path, changes);
    } else {
      throw new UserError(
        `${edit.file}: ${path.join('.')} is not a map (it holds ${describe(pair.value)}), so ${path.join('.')}.${Object.keys(want)[0]} cannot be set: check values-path`,
      );
    }
  }
  if (Object.keys(missing).length === 0) return;
  if (map.items.some((p) => scalarText(p.key) === '<<'))
    throw new UserError(
      `${edit.file}: ${[...where, Object.keys(missing)[0]].join('.')} may be inherited through a merge key (<<): set it explicitly in this map`,
    );
  edit.addPairs(doc, map, missing);
  addedChanges(edit.file, missing, where, changes);
}

function addedChanges(file: string, overlay: Overlay, where: string[], changes: ValueChange[]): void {
  for (const [key, v] of Object.entries(overlay))
    if (typeof v === 'string') changes.push({ file, path: [...where, key].join('.'), new: v });
    else addedChanges(file, v, [...where, key], changes);
}

function describe(node: unknown): string {
  if (isScalar(node)) return `the value ${JSON.stringify(String(node.value)).slice(0, 60)}`;
  return 'a list or alias';
}

/** A values file: every document is a values map (an empty file gets one). */
export function editHelmValues(
  edit: SourceEdit,
  placement: Placement,
  contract: ImageContract,
): ValueChange[] {
  const overlay = valuesOverlay(mappingsOf(placement), contract);
  const changes: ValueChange[] = [];
  const docs = edit.docs.filter((d) => d.contents !== null);
  if (docs.length === 0) {
    edit.fillEmpty(overlay);
    addedChanges(edit.file, overlay, [], changes);
    return changes;
  }
  docs.forEach((doc, i) => {
    if (!isMap(doc.contents)) throw new UserError(`${edit.file}: document ${i + 1} is not a map of values`);
    const before = changes.length;
    mergeOverlay(edit, doc, doc.contents, overlay, [], changes);
    if (docs.length > 1) for (const c of changes.slice(before)) c.path = `document ${i + 1}: ${c.path}`;
  });
  return changes;
}
