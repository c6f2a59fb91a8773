// Plain manifests: every container and initContainer of a pod template that runs the image's
// repository is set to `name@digest`. No tag is kept beside the digest: the runtime ignores it, and
// a stale tag next to a new digest misleads whoever reads the manifest.
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import { UserError } from '@kubeline/runtime';
import { parseReference, type ImageContract, type ImageRef } from '@kubeline/image';
import { POD_TEMPLATE_PATHS, describeDoc, identity } from './detect.js';
import { scalarText, type SourceEdit } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';

const CONTAINER_LISTS = ['initContainers', 'containers'] as const;

/** The reference, or undefined for what is not one (a template placeholder, an env reference). */
function referenceOf(image: string): ImageRef | undefined {
  try {
    return parseReference(image);
  } catch {
    return undefined;
  }
}

/** Containers of every pod template in the file, with where they are. */
function containersOf(edit: SourceEdit): Array<{ map: YAMLMap; where: string }> {
  const found: Array<{ map: YAMLMap; where: string }> = [];
  for (const doc of edit.docs) {
    const kind = identity(doc).kind;
    if (!kind || !(kind in POD_TEMPLATE_PATHS)) continue;
    const pod = doc.getIn(POD_TEMPLATE_PATHS[kind]!, true);
    if (!isMap(pod)) continue;
    for (const list of CONTAINER_LISTS) {
      const seq = pod.get(list, true);
      if (!isSeq(seq)) continue;
      seq.items.forEach((c, i) => {
        if (isMap(c))
          found.push({
            map: c,
            where: `${describeDoc(doc)} ${list}[${scalarText(c.get('name', true)) ?? i}]`,
          });
      });
    }
  }
  return found;
}

export function editManifests(
  edit: SourceEdit,
  placement: Placement,
  contract: ImageContract,
): ValueChange[] {
  const image = placement.image ?? contract.name;
  // The contract's own repository matches too: a file already promoted under another name is found again.
  const targets = [parseReference(image, 'image-name'), parseReference(contract.name)];
  const own = targets[1]!;
  const changes: ValueChange[] = [];
  const seen: string[] = [];
  let matched = 0;
  for (const c of containersOf(edit)) {
    const node = c.map.get('image', true);
    const current = scalarText(node);
    if (!isScalar(node) || current === undefined) continue;
    seen.push(current);
    const ref = referenceOf(current);
    if (!ref || !targets.some((t) => sameRepository(t, ref))) continue;
    if (placement.container && scalarText(c.map.get('name', true)) !== placement.container) continue;
    matched++;
    // Already on this digest (with or without a tag written beside it): nothing to change.
    if (sameRepository(own, ref) && ref.digest === contract.digest) continue;
    edit.setScalar(node, contract.ref);
    changes.push({ file: edit.file, path: `${c.where}.image`, old: current, new: contract.ref });
  }
  if (matched === 0) throw new UserError(`${edit.file}: ${notFound(image, placement.container, seen)}`);
  return changes;
}

/** Registry defaults applied: nginx, docker.io/nginx and docker.io/library/nginx are one repository. */
function sameRepository(a: ImageRef, b: ImageRef): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

function notFound(image: string, container: string | undefined, seen: string[]): string {
  const which = container ? `no container named ${container} runs ${image}` : `no container runs ${image}`;
  if (seen.length === 0) return `${which} (no pod template with containers in it)`;
  const shown = [...new Set(seen)].slice(0, 5).join(', ');
  return `${which} (images found: ${shown}): set image-name to the name the file uses`;
}
