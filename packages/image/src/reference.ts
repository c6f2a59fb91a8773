import { InputError } from '@kubeline/runtime';

// The distribution/reference grammar, as docker, buildx and cosign read it.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}))?$`,
);
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface ImageRef {
  /** Registry host as written (`127.0.0.1:5000`, `ghcr.io`); `docker.io` when omitted. */
  registry: string;
  /** Repository path (`library/nginx` on Docker Hub). */
  repository: string;
  tag?: string;
  digest?: string;
}

/** A first component is a registry when it looks like a host: a dot, a port, or localhost. */
function isRegistry(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component.startsWith('[')
  );
}

export function parseReference(text: string, inputName = 'image'): ImageRef {
  const raw = text.trim();
  const m = REFERENCE.exec(raw);
  const allowed = 'allowed: [registry/]repository[:tag][@sha256:<64 hex>], lowercase repository';
  if (!m || raw.length > 255 + 128 + 72) throw new InputError(inputName, raw, allowed);
  const [, , , tag, digest] = m;
  let [, domain, path] = m;
  if (domain && !isRegistry(domain)) {
    path = `${domain}/${path}`;
    domain = undefined;
  }
  const registry = domain ?? 'docker.io';
  const repository = registry === 'docker.io' && !path!.includes('/') ? `library/${path}` : path!;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The digest a reference pins, or undefined when it pins none or is not a reference at all. */
export function pinnedDigest(text: string): string | undefined {
  try {
    return parseReference(text).digest;
  } catch {
    return undefined;
  }
}

/** `registry/repository` as users write it (Docker Hub's implicit parts kept implicit). */
export function imageName(ref: ImageRef): string {
  if (ref.registry === 'docker.io') return ref.repository.replace(/^library\//, '');
  return `${ref.registry}/${ref.repository}`;
}

export function formatReference(ref: ImageRef): string {
  return `${imageName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host that serves the registry API (Docker Hub's API lives elsewhere than its name). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}
