// A BuildKit image for buildx's docker-container driver, made offline: the stack's Go-built buildkitd
// and buildctl (static) plus Debian's runc and the libraries `ldd` names, imported into the stack's
// dockerd as `moby/buildkit:kubeline-test`. Nothing is pulled.
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gobin } from '../../stack/binaries.js';
import { CommandError, runCommand } from '../../stack/command.js';
import { stackTool } from './stack-env.js';
import { copyBinaryWithLibraries } from './rootfs.js';
import { scratchDir } from './scratch.js';
import { run } from './tools.js';

export const BUILDKIT_TEST_IMAGE = 'moby/buildkit:kubeline-test';
const RUNC = '/usr/sbin/runc';

/** The image's root: /usr/bin/{buildkitd,buildctl,runc}, their libraries, and empty system folders. */
async function rootfs(): Promise<string> {
  const root = scratchDir('buildkit-rootfs');
  for (const d of ['usr/bin', 'etc', 'tmp', 'run', 'var/lib/buildkit', 'proc', 'sys', 'dev'])
    mkdirSync(join(root, d), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  copyFileSync(await gobin('buildkitd'), join(root, 'usr/bin/buildkitd'));
  copyFileSync(await gobin('buildctl'), join(root, 'usr/bin/buildctl'));
  copyBinaryWithLibraries(root, 'usr/bin/runc', RUNC);
  return root;
}

/** What the image is made of: a new buildkitd, buildctl or runc makes a new image. */
async function sources(): Promise<string> {
  const { stdout } = await runCommand(['sha256sum', await gobin('buildkitd'), await gobin('buildctl'), RUNC]);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .join('')
    .slice(0, 64);
}

/** Imports the image into the dockerd of `dockerEnv` (DOCKER_HOST) unless it is there already; returns its tag. */
export async function importBuildkitImage(dockerEnv: Record<string, string>): Promise<string> {
  const made = await sources();
  const format = '{{index .Config.Labels "kubeline.test.sources"}}';
  const existing = await run(
    ['docker', 'image', 'inspect', '--format', format, BUILDKIT_TEST_IMAGE],
    dockerEnv,
  )
    .then((r) => r.stdout.trim())
    .catch(() => '');
  if (existing === made) return BUILDKIT_TEST_IMAGE;
  const root = await rootfs();
  const tar = join(scratchDir('buildkit-tar'), 'rootfs.tar');
  await runCommand(['tar', '-C', root, '-cf', tar, '.']);
  const changes = ['ENTRYPOINT ["buildkitd"]', 'ENV PATH=/usr/bin', `LABEL kubeline.test.sources=${made}`];
  await run(
    ['docker', 'import', ...changes.flatMap((c) => ['--change', c]), tar, BUILDKIT_TEST_IMAGE],
    dockerEnv,
  );
  return BUILDKIT_TEST_IMAGE;
}

/**
 * Whether this dockerd can start a privileged container, which buildx's docker-container driver always
 * asks for. The error text when it cannot (e.g. runc's `unable to apply caps` when the machine's
 * capability bounding set lacks one that --privileged grants).
 */
export async function privilegedContainerError(
  dockerEnv: Record<string, string>,
  image: string,
): Promise<string | undefined> {
  const argv = ['docker', 'run', '--rm', '--privileged', '--network', 'host', '--entrypoint', 'buildkitd'];
  try {
    await run([...argv, image, '--version'], dockerEnv);
    return undefined;
  } catch (err) {
    const text = err instanceof CommandError ? err.stderr : (err as Error).message;
    return /Error response from daemon: [^\n]+/.exec(text)?.[0] ?? text.split('\n')[0];
  }
}

/** What docker/setup-buildx-action does: a docker-container builder, bootstrapped and made current. */
export async function createSetupBuildxBuilder(name: string, env: Record<string, string>): Promise<void> {
  await run(
    [
      stackTool('docker-buildx'),
      'create',
      '--name',
      name,
      '--driver',
      'docker-container',
      '--driver-opt',
      `image=${BUILDKIT_TEST_IMAGE},network=host`,
      '--use',
      '--bootstrap',
    ],
    env,
  );
}
