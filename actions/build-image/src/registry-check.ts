import { KubelineError, UserError } from '@kubeline/runtime';
import { RegistryClient, formatReference, imageName, type Credentials } from '@kubeline/image';
import type { ExistingTag } from './tag-policy.js';
import type { TaggedRef } from './targets.js';

/** One registry client per registry host, with the login and CA the build was given. */
export function registryClients(credentials: Credentials | undefined, caFile: string | undefined) {
  const clients = new Map<string, RegistryClient>();
  return (registry: string): RegistryClient => {
    let c = clients.get(registry);
    if (!c) clients.set(registry, (c = new RegistryClient(registry, { credentials, caFile })));
    return c;
  };
}

export type ClientFor = ReturnType<typeof registryClients>;

/** The digest each target tag points to today; tags that do not exist yet are left out. */
export async function lookupTags(targets: TaggedRef[], client: ClientFor): Promise<ExistingTag[]> {
  const lookup = async (ref: TaggedRef) => ({ ref, manifest: await client(ref.registry).manifest(ref) });
  const registries = [...new Set(targets.map((t) => t.registry))];
  const found = await Promise.all(
    registries.map(async (registry) => {
      const [first, ...rest] = targets.filter((t) => t.registry === registry);
      // The first call settles the client's scheme (a loopback registry may be plain HTTP); the client's
      // fallback is not safe for concurrent first calls.
      const head = await lookup(first!);
      return [head, ...(await Promise.all(rest.map(lookup)))];
    }),
  );
  return found
    .flat()
    .filter((f) => f.manifest)
    .map((f) => ({ ref: f.ref, digest: f.manifest!.digest }));
}

/** Points each tag at the image pushed untagged; read back with the rest by confirmPushed. */
export async function pointTags(refs: TaggedRef[], digest: string, client: ClientFor): Promise<void> {
  for (const ref of refs) {
    try {
      await client(ref.registry).tag(ref.repository, digest, ref.tag);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new KubelineError(
        `could not point ${formatReference(ref)} at ${imageName(ref)}@${digest} (${(err as Error).message}); the image stays pushed, untagged`,
      );
    }
  }
}

/**
 * Reads back what was pushed: every repository serves the digest and every tag points to it. Returns
 * the per-platform digests of an index (empty for a single-platform manifest).
 */
export async function confirmPushed(
  targets: TaggedRef[],
  digest: string,
  client: ClientFor,
): Promise<Array<{ platform: string; digest: string }>> {
  const repos = new Map(targets.map((t) => [imageName(t), t]));
  const [platforms] = await Promise.all([
    ...[...repos.values()].map(async (t) => {
      const found = await client(t.registry).manifest({
        registry: t.registry,
        repository: t.repository,
        digest,
      });
      if (!found) throw new KubelineError(`registry does not serve ${imageName(t)}@${digest} after the push`);
      return found.platforms;
    }),
    ...targets.map(async (t) => {
      const found = await client(t.registry).manifest(t);
      if (found?.digest !== digest)
        throw new KubelineError(
          `${formatReference(t)} points to ${found?.digest ?? 'nothing'} after the push, not the built ${digest}: another push of the same tag landed at the same moment`,
        );
      return [];
    }),
  ]);
  return platforms ?? [];
}

// containerd's normalisation: arm64's only variant and amd64's baseline are not written out.
const normalPlatform = (p: string) =>
  p.replace(/^(\w+)\/arm64\/v8$/, '$1/arm64').replace(/^(\w+)\/amd64\/v1$/, '$1/amd64');

/** A multi-platform build whose index lacks a requested platform must not pass for a complete one. */
export function checkPlatforms(requested: string[], pushed: Array<{ platform: string }>): void {
  if (requested.length < 2) return;
  const have = new Set(pushed.map((p) => normalPlatform(p.platform)));
  const missing = requested.filter((r) => !have.has(normalPlatform(r)));
  if (missing.length)
    throw new KubelineError(
      `the pushed index lacks platform ${missing.join(', ')} (it has ${[...have].join(', ') || 'none'})`,
    );
}
