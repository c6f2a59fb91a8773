import fs from 'node:fs';
import { InputError, type InputParser } from '@kubeline/runtime';
import { DIGEST, imageName, parseReference, type ImageRef } from './reference.js';

/**
 * What build-image emits and every later action accepts: the image by digest, never a mutable tag.
 * `ref` is always `name@digest`.
 */
export interface ImageContract {
  name: string;
  digest: string;
  ref: string;
  tags: string[];
  platforms: Array<{ platform: string; digest: string }>;
  pushed: boolean;
  labels: Record<string, string>;
}

export type ImageInput = { kind: 'contract'; contract: ImageContract } | { kind: 'reference'; ref: ImageRef };

export function makeContract(fields: Omit<ImageContract, 'ref'>): ImageContract {
  return { ...fields, ref: `${fields.name}@${fields.digest}` };
}

function validateContract(value: unknown, inputName: string, shown: string): ImageContract {
  const c = value as Partial<ImageContract>;
  const fail = (why: string): never => {
    throw new InputError(inputName, shown, `an image contract needs ${why}`);
  };
  if (typeof c !== 'object' || c === null) return fail('to be a JSON object');
  if (typeof c.name !== 'string' || !c.name) fail('a "name"');
  if (typeof c.digest !== 'string' || !DIGEST.test(c.digest)) fail('a "digest" of the form sha256:<64 hex>');
  parseReference(`${c.name}@${c.digest}`, inputName);
  if (c.ref !== undefined && c.ref !== `${c.name}@${c.digest}`) fail('"ref" equal to name@digest');
  for (const p of c.platforms ?? [])
    if (!DIGEST.test(p?.digest ?? '')) fail('platform digests of the form sha256:<64 hex>');
  return {
    name: c.name!,
    digest: c.digest!,
    ref: `${c.name}@${c.digest}`,
    tags: Array.isArray(c.tags) ? c.tags.map(String) : [],
    platforms: c.platforms ?? [],
    pushed: c.pushed ?? true,
    labels: c.labels ?? {},
  };
}

/**
 * An `image` input: build-image's JSON, a path to that JSON (GitLab passes JSON outputs as files),
 * or a plain reference (`name:tag` or `name@sha256:…`).
 */
export function parseImageInput(raw: string, inputName = 'image'): ImageInput {
  const text = raw.trim();
  if (!text)
    throw new InputError(inputName, raw, 'an image reference or the image-json of build-image is required');
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  let json: string | undefined;
  if (text.startsWith('{')) json = text;
  // Only a regular file is read: a FIFO named *.json would block the step forever.
  else if (text.endsWith('.json') && fs.existsSync(text) && fs.statSync(text).isFile())
    json = fs.readFileSync(text, 'utf8');
  if (json !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new InputError(
        inputName,
        shown,
        `it looks like JSON but does not parse (${(e as Error).message})`,
      );
    }
    return { kind: 'contract', contract: validateContract(value, inputName, shown) };
  }
  return { kind: 'reference', ref: parseReference(text, inputName) };
}

export { imageName };

/** The `image` input every image-taking action declares: a contract (inline or a file) or a reference. */
export const imageInput: InputParser<ImageInput> = {
  type: 'image contract JSON, a file with it, or an image reference',
  parse: (raw, name) => parseImageInput(raw, name),
};
