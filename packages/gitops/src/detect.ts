// What a file is, from its name and its documents' apiVersion and kind.
import path from 'node:path';
import { isMap } from 'yaml';
import { UserError } from '@kubeline/runtime';
import { scalarText, type YamlDoc } from './yaml-source.js';
import { FILE_KINDS, type FileKind } from './placement.js';

export interface DocIdentity {
  apiVersion?: string;
  kind?: string;
  name?: string;
}

export function identity(doc: YamlDoc): DocIdentity {
  if (!isMap(doc.contents)) return {};
  const apiVersion = scalarText(doc.contents.get('apiVersion', true));
  const kind = scalarText(doc.contents.get('kind', true));
  const name = scalarText(doc.getIn(['metadata', 'name'], true));
  return { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}), ...(name ? { name } : {}) };
}

/** `Deployment/web`, for changes and errors. */
export function describeDoc(doc: YamlDoc): string {
  const id = identity(doc);
  return `${id.kind ?? 'document'}/${id.name ?? '(unnamed)'}`;
}

export const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const isHelmRelease = (id: DocIdentity) =>
  id.kind === 'HelmRelease' && /^helm\.toolkit\.fluxcd\.io\//.test(id.apiVersion ?? '');
export const isApplication = (id: DocIdentity) =>
  id.kind === 'Application' && /^argoproj\.io\//.test(id.apiVersion ?? '');

const KUSTOMIZATION_FILE = /^(kustomization\.ya?ml|Kustomization)$/;

function kindOfDoc(id: DocIdentity): FileKind | undefined {
  if (isHelmRelease(id)) return 'helm-release';
  if (isApplication(id)) return 'argocd';
  if (
    /^(Kustomization|Component)$/.test(id.kind ?? '') &&
    /^kustomize\.config\.k8s\.io\//.test(id.apiVersion ?? '')
  )
    return 'kustomize';
  if (id.kind && id.kind in POD_TEMPLATE_PATHS && id.apiVersion) return 'manifests';
  return undefined;
}

export function detectFromDocs(docs: YamlDoc[], file: string): FileKind {
  const base = path.posix.basename(file);
  if (KUSTOMIZATION_FILE.test(base)) return 'kustomize';
  const ids = docs.filter((d) => d.contents !== null).map(identity);
  const flux = ids.find((id) => id.kind === 'Kustomization' && /fluxcd\.io\//.test(id.apiVersion ?? ''));
  const kinds = [...new Set(ids.map(kindOfDoc).filter((k): k is FileKind => k !== undefined))];
  if (kinds.length === 1) return kinds[0]!;
  if (kinds.length > 1)
    throw new UserError(
      `${file}: holds more than one kind of file (${kinds.join(', ')}): split it, or set kind`,
    );
  if (flux)
    throw new UserError(
      `${file}: is a Flux Kustomization (${flux.apiVersion}), not a kustomization.yaml: name the kustomization.yaml in its spec.path`,
    );
  if (ids.every((id) => !id.kind && !id.apiVersion) && /values/i.test(base)) return 'helm-values';
  throw new UserError(
    `${file}: cannot tell what it is (no kustomization, values file, HelmRelease, Application or workload): set kind to one of ${FILE_KINDS.filter((k) => k !== 'markers').join(', ')}, or image-policy for values carrying Flux $imagepolicy markers`,
  );
}
