// Flux image-automation setter markers: every value whose line ends in
// `# {"$imagepolicy": "<namespace>:<name>"}` (optionally `:name`, `:tag` or `:digest`) takes that
// part of the image, the way Flux's own automation would write it — only by digest. Values marked
// for other policies, and the markers themselves, are left as they are.
import { isPair, isSeq, visit, type Node, type Scalar } from 'yaml';
import { UserError } from '@kubeline/runtime';
import { imagePart, type ImageContract, type ImagePart } from '@kubeline/image';
import { IMAGE_POLICY } from './input-spec.js';
import { scalarText, type SourceEdit } from './yaml-source.js';
import type { Placement, ValueChange } from './placement.js';

/** Flux's suffixes and the part of the image each one takes; none is the whole reference. */
const SUFFIX_PARTS: Record<string, ImagePart> = {
  '': 'ref',
  name: 'repository',
  tag: 'tag',
  digest: 'digest',
};
const EXPECTED = `# {"$imagepolicy": "<namespace>:<name>"}, optionally ending in :name, :tag or :digest`;

interface Marker {
  node: Scalar;
  line: number;
  policy: string;
  part: ImagePart;
  where: string;
}

/** The markers on the same line as a scalar value, in every document of the file. */
function markersOf(edit: SourceEdit): Marker[] {
  const found: Marker[] = [];
  for (const doc of edit.docs)
    visit(doc, {
      Scalar(key, node, ancestors) {
        if (key === 'key' || !node.range) return;
        const marker = markerAfter(edit, node);
        if (marker) found.push({ node, ...marker, where: pathOf(ancestors, node) });
      },
    });
  return found;
}

function markerAfter(edit: SourceEdit, node: Scalar): Omit<Marker, 'node' | 'where'> | undefined {
  const [start, end] = node.range!;
  if (edit.text.slice(start, end).includes('\n')) return undefined; // a multi-line value: not Flux's
  const lineEnd = edit.text.indexOf('\n', end);
  const rest = edit.text.slice(end, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, '');
  const comment = /^\s*#(.*)$/.exec(rest)?.[1];
  if (comment === undefined || !comment.includes('$imagepolicy')) return undefined;
  const line = edit.text.slice(0, end).split('\n').length;
  const setter = parseSetter(comment.trim());
  const [namespace, name, suffix = '', ...more] = setter?.split(':') ?? [];
  const policy = `${namespace}:${name}`;
  if (name === undefined || more.length > 0 || !IMAGE_POLICY.test(policy))
    throw new UserError(`${edit.file}: line ${line}: malformed $imagepolicy marker: expected ${EXPECTED}`);
  // own keys only: a marker ending in :constructor must not find Object's
  const part = Object.hasOwn(SUFFIX_PARTS, suffix) ? SUFFIX_PARTS[suffix] : undefined;
  if (!part)
    throw new UserError(
      `${edit.file}: line ${line}: $imagepolicy marker ${setter} ends in an unknown suffix ":${suffix}"; allowed: :name, :tag, :digest or none`,
    );
  return { line, policy, part };
}

/** The setter's value, when the comment is exactly a JSON object holding a string $imagepolicy. */
function parseSetter(comment: string): string | undefined {
  try {
    const value = (JSON.parse(comment) as { $imagepolicy?: unknown }).$imagepolicy;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `spec.values.image.tag`, `spec.containers[0].image`: where a value sits, for changes. */
function pathOf(ancestors: readonly unknown[], node: Node): string {
  let path = '';
  const chain = [...ancestors, node];
  chain.forEach((n, i) => {
    if (isPair(n)) path += `${path ? '.' : ''}${scalarText(n.key) ?? '?'}`;
    else if (isSeq(n)) path += `[${n.items.indexOf(chain[i + 1] as Node)}]`;
  });
  return path;
}

/** Sets every value marked for `placement.imagePolicy`; errs when the file marks none for it. */
export function editMarkers(edit: SourceEdit, placement: Placement, contract: ImageContract): ValueChange[] {
  const policy = placement.imagePolicy;
  if (!policy)
    throw new UserError(`kind markers needs image-policy: the policy whose markers take the image`);
  const markers = markersOf(edit);
  const ours = markers.filter((m) => m.policy === policy);
  if (ours.length === 0) {
    const others = [...new Set(markers.map((m) => m.policy))];
    throw new UserError(
      `${edit.file}: no value is marked for image policy ${policy} (${others.length ? `the file marks: ${others.join(', ')}` : 'the file has no $imagepolicy markers'})`,
    );
  }
  const changes: ValueChange[] = [];
  for (const m of ours) {
    const want = imagePart(contract, m.part);
    const old = scalarText(m.node);
    if (old === want) continue;
    edit.setScalar(m.node, want);
    changes.push({
      file: edit.file,
      path: `line ${m.line} ${m.where}`,
      ...(old === undefined ? {} : { old }),
      new: want,
    });
  }
  return changes;
}
