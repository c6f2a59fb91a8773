// Test images: built FROM scratch (no registry outside the stack can be pulled from) with buildx
// on the stack's buildkitd, pushed by digest.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir, scratchFile } from './scratch.js';
import { run } from './tools.js';

const busyboxStatic = '/bin/busybox'; // Debian busybox-static

/** A build context whose image is a static busybox FROM scratch; `marker` makes its digest unique. */
export function busyboxContext(marker: string): string {
  const dir = scratchDir('image');
  copyFileSync(busyboxStatic, join(dir, 'busybox'));
  writeFileSync(join(dir, 'marker'), `${marker}\n`);
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY marker /marker',
      'ENTRYPOINT ["/bin/busybox"]',
      '',
    ].join('\n'),
  );
  return dir;
}

/** docker buildx build --push to every ref (with `extraArgs` before the context); returns the pushed digest. */
export async function buildAndPush(
  context: string,
  refs: string[],
  dockerEnv: Record<string, string>,
  extraArgs: string[] = [],
): Promise<string> {
  const metadata = scratchFile('build', 'metadata.json');
  const tags = refs.flatMap((ref) => ['--tag', ref]);
  await run(
    ['docker', 'buildx', 'build', '--push', '--metadata-file', metadata, ...tags, ...extraArgs, context],
    dockerEnv,
  );
  const digest = (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, string>)[
    'containerimage.digest'
  ];
  if (!digest) throw new Error(`buildx wrote no containerimage.digest to ${metadata}`);
  return digest;
}

/** repo part of a ref: registry/path without :tag or @digest */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const withoutDigest = at >= 0 ? ref.slice(0, at) : ref;
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}
