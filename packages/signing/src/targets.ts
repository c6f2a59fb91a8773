import type { ImageContract } from '@kubeline/image';

/** One digest to sign or verify, always addressed as name@digest. */
export interface Target {
  /** `index`, `image`, or a platform such as `linux/arm64`. */
  platform: string;
  digest: string;
  ref: string;
}

/**
 * The image digest first, then (recursive) each platform digest of an index: a runtime pulls a
 * platform manifest, so a deploy gate verifying a platform digest must find a signature there too.
 */
export function signTargets(contract: ImageContract, recursive: boolean): Target[] {
  const top: Target = {
    platform: contract.platforms.length ? 'index' : 'image',
    digest: contract.digest,
    ref: contract.ref,
  };
  if (!recursive) return [top];
  const seen = new Set([contract.digest]);
  const platforms: Target[] = [];
  for (const p of contract.platforms) {
    if (seen.has(p.digest)) continue;
    seen.add(p.digest);
    platforms.push({ platform: p.platform, digest: p.digest, ref: `${contract.name}@${p.digest}` });
  }
  return [top, ...platforms];
}
