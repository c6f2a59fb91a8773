// Writes the image into one file by what the file is: a kustomization, Helm values, a Flux
// HelmRelease, an Argo CD Application, plain manifests, or values carrying Flux's $imagepolicy
// markers. Never a text substitution.
import type { ImageContract } from '@kubeline/image';
import { editApplication } from './argocd.js';
import { detectFromDocs } from './detect.js';
import { editHelmRelease } from './helm-release.js';
import { editHelmValues } from './helm-values.js';
import { editKustomization } from './kustomization.js';
import { editManifests } from './manifests.js';
import { editMarkers } from './markers.js';
import { SourceEdit, parseYaml, type YamlDoc } from './yaml-source.js';
import type { FileKind, Placement, ValueChange } from './placement.js';

export type { FileKind, Placement, ValueChange } from './placement.js';

type Editor = (edit: SourceEdit, placement: Placement, contract: ImageContract) => ValueChange[];

const EDITORS: Record<FileKind, Editor> = {
  kustomize: editKustomization,
  'helm-values': editHelmValues,
  'helm-release': editHelmRelease,
  argocd: editApplication,
  manifests: editManifests,
  markers: editMarkers,
};

export interface FileEdit {
  /** The new text; the original, byte for byte, when nothing changed. */
  text: string;
  changes: ValueChange[];
  kind: FileKind;
}

/** `file` is only named in changes and errors: the text is given, nothing is read. */
export function editFile(
  text: string,
  file: string,
  placement: Placement,
  contract: ImageContract,
): FileEdit {
  const docs = parseYaml(text, file);
  const kind = placement.kind === 'auto' ? autoKind(docs, file, placement) : placement.kind;
  const edit = new SourceEdit(text, file, docs);
  const changes = EDITORS[kind](edit, placement, contract);
  return { text: edit.result(), changes, kind };
}

/** A policy named means its markers say where the image goes, whatever else the file is. */
function autoKind(docs: YamlDoc[], file: string, placement: Placement): FileKind {
  return placement.imagePolicy ? 'markers' : detectFromDocs(docs, file);
}

export function detectKind(text: string, file: string): FileKind {
  return detectFromDocs(parseYaml(text, file), file);
}
