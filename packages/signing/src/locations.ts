// Where an image's signatures and attestations are stored, read from the registry itself (cosign 3
// deprecated `triangulate`, which only ever named cosign 2's tags): Sigstore bundles are referrers
// of the digest, told apart by their predicate type; cosign 2 keeps `sha256-<hex>.sig|.att` tags.
import type { RegistryClient } from '@kubeline/image';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The predicate of a cosign 3 image signature; anything else in a bundle is an attestation. */
export const SIGNATURE_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

export type ArtifactKind = 'signature' | 'attestation';

export interface Located {
  /** `name@sha256:…` of a bundle, or `name:sha256-<hex>.sig|.att` of a cosign 2 tag. */
  ref: string;
  kind: ArtifactKind;
}

/** Every signature and attestation stored for one digest of `repository` (shown as `name`). */
export async function locateArtifacts(
  client: RegistryClient,
  name: string,
  repository: string,
  digest: string,
): Promise<Located[]> {
  const legacyTag = digest.replace(':', '-');
  const [referrers, sig, att] = await Promise.all([
    client.referrers(repository, digest),
    client.manifestDocument(repository, `${legacyTag}.sig`),
    client.manifestDocument(repository, `${legacyTag}.att`),
  ]);
  const bundles = referrers.filter((d) => d.artifactType === BUNDLE_ARTIFACT_TYPE);
  // The fallback index of cosign 3.1 carries no annotations: the manifest itself says what it is.
  const kinds = await Promise.all(bundles.map((d) => bundleKind(client, repository, d)));
  const found: Located[] = bundles.map((d, i) => ({ ref: `${name}@${d.digest}`, kind: kinds[i]! }));
  if (sig) found.push({ ref: `${name}:${legacyTag}.sig`, kind: 'signature' });
  if (att) found.push({ ref: `${name}:${legacyTag}.att`, kind: 'attestation' });
  return found;
}

async function bundleKind(
  client: RegistryClient,
  repository: string,
  d: { digest: string; annotations?: Record<string, string> },
): Promise<ArtifactKind> {
  const predicate =
    d.annotations?.[PREDICATE_ANNOTATION] ??
    (
      (await client.manifestDocument(repository, d.digest))?.annotations as Record<string, string> | undefined
    )?.[PREDICATE_ANNOTATION];
  return predicate === SIGNATURE_PREDICATE ? 'signature' : 'attestation';
}
