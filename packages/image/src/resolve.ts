import { UserError, log } from '@kubeline/runtime';
import { makeContract, type ImageContract, type ImageInput } from './contract.js';
import { formatReference, imageName, parseReference } from './reference.js';
import { RegistryClient, type RegistryOptions } from './registry.js';

/**
 * Turns an `image` input into a contract pinned by digest. A tag is looked up once, logged, and
 * never used again; a digest the registry does not have is an error, not a silent pass.
 */
export async function resolveImage(
  input: ImageInput,
  opts: RegistryOptions & { inputName?: string; verifyExists?: boolean } = {},
): Promise<ImageContract> {
  if (input.kind === 'contract' && !opts.verifyExists) return input.contract;
  const ref = input.kind === 'reference' ? input.ref : parseReference(input.contract.ref);
  const shown = formatReference(ref);
  const client = new RegistryClient(ref.registry, opts);
  const found = await client.manifest(ref);
  if (!found) {
    const what = ref.digest ? `digest ${ref.digest}` : `tag ${ref.tag ?? 'latest'}`;
    throw new UserError(
      `input "${opts.inputName ?? 'image'}": ${shown} does not resolve: ${what} is not in ${imageName(ref)}`,
    );
  }
  if (ref.digest && found.digest !== ref.digest) {
    throw new UserError(
      `registry returned ${found.digest} for ${shown}: refusing a digest that does not match`,
    );
  }
  if (input.kind === 'contract')
    return {
      ...input.contract,
      platforms: input.contract.platforms.length ? input.contract.platforms : found.platforms,
    };
  if (!ref.digest) log.info(`resolved ${shown} to ${found.digest}; using the digest from here on`);
  return makeContract({
    name: imageName(ref),
    digest: found.digest,
    tags: ref.tag ? [ref.tag] : [],
    platforms: found.platforms,
    pushed: true,
    labels: {},
  });
}
