// Pins the image digest into the chart's values, and checks that what the chart rendered really
// pulls that digest: a chart that reads its image elsewhere must not deploy a tag by accident.
import { InputError } from '@kubeline/runtime';
import { parseReference } from './reference.js';
import type { ImageContract } from './contract.js';

export const IMAGE_PARTS = ['repository', 'registry', 'name', 'digest', 'tag', 'ref'] as const;
export type ImagePart = (typeof IMAGE_PARTS)[number];

export interface ImageMapping {
  path: string[];
  part: ImagePart;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function valuesPath(text: string, raw: string): string[] {
  const path = text.split('.');
  if (!path.every((s) => SEGMENT.test(s)))
    throw new InputError(
      'image-values-path',
      raw,
      'a values path is keys joined by dots, e.g. image or app.image',
    );
  return path;
}

/**
 * `image` → image.repository, image.digest and image.tag; `a.b=ref, c=digest` → each path set to
 * one part of the pinned image.
 */
export function parseImageValuesPath(raw: string): ImageMapping[] {
  const items = raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InputError('image-values-path', raw, 'give a values path such as image');
  if (items.length === 1 && !items[0]!.includes('=')) {
    const base = valuesPath(items[0]!, raw);
    return (['repository', 'digest', 'tag'] as const).map((part) => ({ path: [...base, part], part }));
  }
  return items.map((item) => {
    const eq = item.indexOf('=');
    const part = item.slice(eq + 1).trim();
    if (eq < 0 || !(IMAGE_PARTS as readonly string[]).includes(part))
      throw new InputError(
        'image-values-path',
        item,
        `write path=part with part one of ${IMAGE_PARTS.join(', ')}`,
      );
    return { path: valuesPath(item.slice(0, eq).trim(), raw), part: part as ImagePart };
  });
}

/** The tag a contract was built with (`name:tag` or a bare tag), if any. */
function firstTag(contract: ImageContract): string | undefined {
  const t = contract.tags[0];
  if (!t) return undefined;
  const afterSlash = t.slice(t.lastIndexOf('/') + 1);
  return afterSlash.includes(':') ? afterSlash.slice(afterSlash.indexOf(':') + 1) : t;
}

export function imagePart(contract: ImageContract, part: ImagePart): string {
  const ref = parseReference(contract.name);
  switch (part) {
    case 'repository':
      return contract.name;
    case 'registry':
      return ref.registry;
    case 'name':
      return ref.repository;
    case 'digest':
      return contract.digest;
    // A tag followed by the digest is a valid reference that container runtimes pull by digest.
    case 'tag':
      return `${firstTag(contract) ?? 'pinned'}@${contract.digest}`;
    case 'ref':
      return contract.ref;
  }
}

/** The values overlay: nested objects holding each mapped part. */
export function imageValues(contract: ImageContract, mappings: ImageMapping[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const m of mappings) {
    let node = root;
    for (const key of m.path.slice(0, -1)) {
      const next = node[key];
      node = (next && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[m.path[m.path.length - 1]!] = imagePart(contract, m.part);
  }
  return root;
}

export interface PinCheck {
  ok: boolean;
  /** Containers running the pinned digest. */
  pinned: string[];
  /** One line when not ok. */
  problem?: string;
}

/** Splits `registry/name[:tag][@digest]` into the name and digest, tolerating tag+digest. */
function splitImage(image: string): { name: string; digest?: string } {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(':');
  const name = colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
  return { name, ...(at >= 0 ? { digest: image.slice(at + 1) } : {}) };
}

/**
 * Every container of the rendered manifests that runs the image's repository must pull it by the
 * pinned digest, and at least one must.
 */
export function checkPinned(
  containers: Array<{ where: string; image: string }>,
  contract: ImageContract,
): PinCheck {
  const pinned: string[] = [];
  for (const c of containers) {
    const { name, digest } = splitImage(c.image);
    if (digest === contract.digest) pinned.push(c.where);
    else if (name === contract.name)
      return {
        ok: false,
        pinned,
        problem: `${c.where} runs ${c.image}, not the pinned digest ${contract.digest}`,
      };
  }
  if (pinned.length === 0)
    return {
      ok: false,
      pinned,
      problem: `no container in the rendered manifests runs ${contract.digest}: set image-values-path to where the chart reads its image (e.g. app.image, or app.image=ref)`,
    };
  return { ok: true, pinned };
}
