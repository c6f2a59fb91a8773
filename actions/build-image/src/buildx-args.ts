import { formatReference, imageName } from '@kubeline/image';
import type { BuildRequest } from './builder.js';

/** The environment variable that carries build secret number `i` into buildx (never its argv). */
export const secretEnvName = (i: number) => `KUBELINE_BUILD_SECRET_${i}`;

/**
 * A failed cache export must not fail a good build: BuildKit's `ignore-error` makes it a logged
 * error instead. `inline` cache rides in the image and has no such attribute.
 */
export function tolerantCacheTo(spec: string): string {
  const withType = spec.includes('=') ? spec : `type=registry,ref=${spec}`;
  if (/(^|,)ignore-error=/.test(withType) || /(^|,)type=inline(,|$)/.test(withType)) return withType;
  return `${withType},ignore-error=true`;
}

function output(req: BuildRequest): string {
  if (req.push === 'tags') return 'type=image,push=true';
  if (req.push === 'none') return 'type=image,push=false';
  // Untagged: the manifest lands in each repository by digest; tags follow after the policy check.
  // The exporter takes names as a CSV field, quoted when there are several.
  const names = [...new Set(req.targets.map((t) => imageName(t)))].join(',');
  const name = names.includes(',') ? `"name=${names}"` : `name=${names}`;
  return `type=image,${name},push-by-digest=true,name-canonical=true,push=true`;
}

/** The image into the local docker image store under every target reference (tags included). */
function loadOutput(req: BuildRequest): string {
  const names = req.targets.map(formatReference).join(',');
  return names.includes(',') ? `type=docker,"name=${names}"` : `type=docker,name=${names}`;
}

/** `docker buildx build` argv for a request; secrets are passed by environment variable name only. */
export function buildxArgs(
  req: BuildRequest,
  opts: {
    builder: string;
    metadataFile: string;
    iidFile: string;
    gatedFlags: string[];
    cacheTo: string[];
    /** Adds a second output into the local docker image store. */
    load?: boolean;
  },
): string[] {
  const args = ['build', '--builder', opts.builder, '--progress', 'plain', '--file', req.dockerfile];
  args.push('--metadata-file', opts.metadataFile, '--iidfile', opts.iidFile);
  if (req.push !== 'digest') for (const t of req.targets) args.push('--tag', formatReference(t));
  for (const [k, v] of req.labels) args.push('--label', `${k}=${v}`);
  for (const [k, v] of req.buildArgs) args.push('--build-arg', `${k}=${v}`);
  [...req.secrets.keys()].forEach((id, i) => args.push('--secret', `id=${id},env=${secretEnvName(i)}`));
  if (req.platforms.length) args.push('--platform', req.platforms.join(','));
  for (const c of req.cacheFrom) args.push('--cache-from', c);
  for (const c of opts.cacheTo) args.push('--cache-to', tolerantCacheTo(c));
  if (req.target) args.push('--target', req.target);
  args.push(...opts.gatedFlags);
  if (req.pull) args.push('--pull');
  if (req.noCache) args.push('--no-cache');
  args.push('--output', output(req));
  if (opts.load) args.push('--output', loadOutput(req));
  args.push(req.context);
  return args;
}

/** Environment variables holding the build secrets, in the order buildxArgs names them. */
export function secretEnv(req: BuildRequest): Record<string, string> {
  return Object.fromEntries([...req.secrets.values()].map((v, i) => [secretEnvName(i), v]));
}

/** BuildKit steps that export cache and ended in an error (kept going thanks to ignore-error). */
export function cacheExportErrors(progress: string): string[] {
  const exportSteps = new Set<string>();
  const errors: string[] = [];
  for (const line of progress.split('\n')) {
    const step = /^#(\d+) (?:exporting|writing) (?:cache|layers? to cache)/i.exec(line);
    if (step) exportSteps.add(step[1]!);
    const err = /^#(\d+) ERROR: (.*)$/.exec(line);
    if (err && exportSteps.has(err[1]!)) errors.push(err[2]!);
  }
  return errors;
}

/** A build that failed because of its cache export, not its image. */
export function isCacheExportFailure(stderr: string): boolean {
  return /cache export (is )?not supported|failed to export cache|error (writing|exporting) .*cache|exporting cache.*(error|failed)/i.test(
    stderr,
  );
}
