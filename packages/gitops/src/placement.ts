// What the editors are told (where the image goes) and what they report (each value changed).
import type { ImageMapping } from '@kubeline/image';

export const FILE_KINDS = [
  'kustomize',
  'helm-values',
  'helm-release',
  'argocd',
  'manifests',
  'markers',
] as const;
export type FileKind = (typeof FILE_KINDS)[number];

export interface Placement {
  kind: FileKind | 'auto';
  /** Where the image goes in Helm values (helm-values, helm-release, argocd helm sources). */
  values?: ImageMapping[];
  /** The image name the files use for it; default: the contract's name. */
  image?: string;
  /** manifests: only the container with this name. */
  container?: string;
  /** markers: the Flux image policy (`namespace:name`) whose `$imagepolicy` markers take the image. */
  imagePolicy?: string;
}

/** One value written: `old` absent means added; a removed key has `removed` and an empty `new`. */
export interface ValueChange {
  file: string;
  /** Where, e.g. `images[name=ghcr.io/a/app].digest` or `Deployment/web containers[app].image`. */
  path: string;
  old?: string;
  new: string;
  removed?: true;
}
