// A Flux HelmRelease: the image's values under spec.values of every HelmRelease in the file.
import { isMap } from 'yaml';
import { UserError } from '@kubeline/runtime';
import type { ImageContract } from '@kubeline/image';
import { describeDoc, identity, isHelmRelease } from './detect.js';
import { mappingsOf, mergeOverlay, valuesOverlay } from './helm-values.js';
import type { SourceEdit } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';

export function editHelmRelease(
  edit: SourceEdit,
  placement: Placement,
  contract: ImageContract,
): ValueChange[] {
  const overlay = valuesOverlay(mappingsOf(placement), contract);
  const releases = edit.docs.filter((d) => isHelmRelease(identity(d)));
  if (releases.length === 0)
    throw new UserError(`${edit.file}: no Flux HelmRelease (helm.toolkit.fluxcd.io) in it`);
  const changes: ValueChange[] = [];
  for (const doc of releases) {
    const spec = doc.get('spec', true);
    if (!isMap(spec)) throw new UserError(`${edit.file}: ${describeDoc(doc)} has no spec map`);
    const mine: ValueChange[] = [];
    mergeOverlay(edit, doc, spec, { values: overlay }, ['spec'], mine);
    for (const c of mine) c.path = `${describeDoc(doc)} ${c.path}`;
    changes.push(...mine);
  }
  return changes;
}
