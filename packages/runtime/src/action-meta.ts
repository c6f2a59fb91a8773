import fs from 'node:fs';
import YAML from 'yaml';

export interface InputDecl {
  description: string;
  required?: boolean;
  default?: string;
}
export interface OutputDecl {
  description: string;
}

/** What action.yml declares; generated into each action's `src/action.generated.ts`. */
export interface ActionMeta {
  name: string;
  description: string;
  inputs: Record<string, InputDecl>;
  outputs: Record<string, OutputDecl>;
  /** True when action.yml has a `post:` step. */
  post: boolean;
}

/** Reads an action.yml into the metadata the runtime needs. */
export function loadActionYaml(file: string, name: string): ActionMeta {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as {
    description?: string;
    inputs?: Record<
      string,
      { description?: string; required?: boolean | string; default?: string | number | boolean }
    >;
    outputs?: Record<string, { description?: string }>;
    runs?: { post?: string };
  };
  const inputs: Record<string, InputDecl> = {};
  for (const [k, v] of Object.entries(doc.inputs ?? {})) {
    inputs[k] = {
      description: (v.description ?? '').trim(),
      required: v.required === true || v.required === 'true',
      ...(v.default !== undefined ? { default: String(v.default) } : {}),
    };
  }
  const outputs: Record<string, OutputDecl> = {};
  for (const [k, v] of Object.entries(doc.outputs ?? {}))
    outputs[k] = { description: (v.description ?? '').trim() };
  return {
    name,
    description: (doc.description ?? '').trim(),
    inputs,
    outputs,
    post: Boolean(doc.runs?.post),
  };
}
