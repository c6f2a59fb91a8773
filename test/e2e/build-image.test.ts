// build-image's committed bundle against the real stack: buildx (sha256-verified from the stack's tool
// mirror) on the standalone buildkitd, and Debian buildah; pushes to the open and the authenticated
// registry, read back with kubeline's own RegistryClient and the registry's HTTP API.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RegistryClient, parseImageInput, parseReference, type ImageContract } from '@kubeline/image';
import { repoRoot } from '../stack/paths.js';
import { loadStackEnv } from './harness/stack-env.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { plantSecret } from '../support/secret-audit.js';
import { runBundle, spawnBundle, type Ran } from '../support/processes.js';
import {
  createSetupBuildxBuilder,
  importBuildkitImage,
  privilegedContainerError,
} from './harness/buildkit-image.js';
import { startBuilderDockerd, type BuilderDockerd } from './harness/builder-dockerd.js';
import { removeScratch } from './harness/scratch.js';

const env = loadStackEnv();
const unique = () => randomBytes(4).toString('hex');
const fixture = join(repoRoot, 'test/fixtures/build-image');
// Anything kubeline or buildx sends past loopback goes to a dead proxy and fails.
const loopbackOnly = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};
const SECRET = plantSecret(`tok-${randomBytes(12).toString('hex')}`);
let toolCache: string;
const made: string[] = [];
/** A temp folder removed when the file's tests end. */
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** A build context: the fixture, a static busybox and a marker that makes the image unique. */
function context(marker = unique()): string {
  const dir = tempDir('kubeline-bi-ctx-');
  cpSync(fixture, dir, { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'marker'), `${marker}\n`);
  return dir;
}

interface Build extends Ran {
  out: Record<string, string>;
  runnerTemp: string;
}

/** A job step's environment: INPUT_* variables, its own temp dir, the shared tool cache. */
function stepEnv(
  runnerTemp: string,
  inputs: Record<string, string>,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const vars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  return {
    ...loopbackOnly,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: toolCache,
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR ?? '',
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST ?? '',
    BUILDKIT_HOST: env.BUILDKIT_HOST,
    KUBELINE_RETRY_BASE_MS: '50',
    ...vars,
    ...extra,
  };
}

/** One job step: the committed bundle run as a runner runs it. */
async function build(inputs: Record<string, string>, extra: Record<string, string> = {}): Promise<Build> {
  const runnerTemp = tempDir('kubeline-bi-rt-');
  const ran = await runBundle('build-image', stepEnv(runnerTemp, inputs, extra));
  let out: Record<string, string> = {};
  try {
    out = JSON.parse(ran.stdout) as Record<string, string>;
  } catch {
    // a failed step may print nothing on stdout
  }
  return { ...ran, out, runnerTemp };
}

const ok = (b: Build) => {
  if (b.code !== 0) throw new Error(`build-image failed:\n${b.stderr}`);
  return b;
};
const errorLines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));

const authClient = () =>
  new RegistryClient(env.AUTH_REGISTRY, {
    credentials: { username: env.AUTH_REGISTRY_USER, password: env.AUTH_REGISTRY_PASSWORD },
    caFile: env.AUTH_REGISTRY_CA,
  });

/** The digest the registry serves for a reference, read with kubeline's RegistryClient. */
async function served(
  ref: string,
  client = new RegistryClient(parseReference(ref).registry),
): Promise<string> {
  const found = await client.manifest(parseReference(ref));
  if (!found) throw new Error(`${ref} is not in the registry`);
  return found.digest;
}

/** Files of every layer of an image in the open registry: path → content (a minimal tar reader). */
async function layerFiles(
  repository: string,
  digest: string,
): Promise<{ files: Map<string, Buffer>; raw: Buffer[] }> {
  const base = `http://${env.REGISTRY}/v2/${repository}`;
  const manifest = (await (
    await fetch(`${base}/manifests/${digest}`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json',
      },
    })
  ).json()) as { layers: Array<{ digest: string }> };
  const files = new Map<string, Buffer>();
  const raw: Buffer[] = [];
  for (const layer of manifest.layers) {
    const tar = gunzipSync(Buffer.from(await (await fetch(`${base}/blobs/${layer.digest}`)).arrayBuffer()));
    raw.push(tar);
    for (let at = 0; at + 512 <= tar.length;) {
      const name = tar
        .subarray(at, at + 100)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      if (!name) break;
      const size = parseInt(
        tar
          .subarray(at + 124, at + 136)
          .toString('utf8')
          .replace(/\0.*$/s, '')
          .trim() || '0',
        8,
      );
      files.set(name, tar.subarray(at + 512, at + 512 + size));
      at += 512 + Math.ceil(size / 512) * 512;
    }
  }
  return { files, raw };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(() => {
  toolCache = tempDir('kubeline-bi-tc-');
});

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe.each(['buildx', 'buildah'] as const)('build-image with %s', (builder) => {
  let result: Build;
  let tag: string;
  const repo = `e2e/build-image-${builder}`;

  beforeAll(async () => {
    tag = `${env.REGISTRY}/${repo}:t-${unique()}`;
    result = await build({ builder, context: context(), tags: tag, secrets: `token=${SECRET}` });
  });

  test('pushes and reports the digest the registry serves, by tag and by name@digest', async () => {
    ok(result);
    const digest = result.out.digest!;
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(await served(tag)).toBe(digest);
    expect(result.out.image).toBe(`${env.REGISTRY}/${repo}@${digest}`);
    expect(result.out['image-id']).not.toBe(digest);
    expect(result.out.tags).toBe(tag);
  });

  test('image-json parses as the image contract every later action takes', () => {
    const input = parseImageInput(result.out['image-json']!);
    expect(input.kind).toBe('contract');
    const contract = (input as { contract: ImageContract }).contract;
    expect(contract).toMatchObject({
      name: `${env.REGISTRY}/${repo}`,
      digest: result.out.digest,
      ref: result.out.image,
      tags: [tag.split(':').pop()],
      pushed: true,
      platforms: [{ platform: 'linux/amd64', digest: result.out.digest }],
    });
    expect(contract.labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(JSON.parse(result.out.platforms!)).toEqual(contract.platforms);
    expect(JSON.parse(result.out.metadata!)['containerimage.digest']).toBe(result.out.digest);
  });

  test('the build secret was mounted, yet is in no layer and no log', async () => {
    const { files, raw } = await layerFiles(repo, result.out.digest!);
    expect(files.get('app/token.sha256')?.toString().trim()).toBe(sha256(SECRET));
    for (const tar of raw) expect(tar.includes(SECRET)).toBe(false);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  test('the summary names the digest, platforms, cache use and duration', () => {
    const summary = readFileSync(join(result.runnerTemp, 'kubeline-build-image-summary.md'), 'utf8');
    expect(summary).toContain(result.out.digest);
    expect(summary).toMatch(/\| platforms \| linux\/amd64: /);
    expect(summary).toMatch(/\| cache \| \d+\/\d+ steps cached \|/);
    expect(summary).toMatch(/\| duration \| build [\d.]+m?s, total /);
    expect(summary).toMatch(/\| size \| [\d.]+ (KiB|MiB)/);
  });

  test('pushes to the authenticated TLS registry with a login that is removed afterwards', async () => {
    const authTag = `${env.AUTH_REGISTRY}/${repo}:t-${unique()}`;
    const b = ok(
      await build({
        builder,
        context: context(),
        tags: authTag,
        secrets: `token=${SECRET}`,
        'registry-username': env.AUTH_REGISTRY_USER,
        'registry-password': env.AUTH_REGISTRY_PASSWORD,
        // The CA as a path for one builder and as PEM text for the other: both forms are accepted.
        'registry-ca':
          builder === 'buildx' ? env.AUTH_REGISTRY_CA : readFileSync(env.AUTH_REGISTRY_CA, 'utf8'),
      }),
    );
    expect(await served(authTag, authClient())).toBe(b.out.digest);
    expect(b.stdout + b.stderr).not.toContain(env.AUTH_REGISTRY_PASSWORD);
    expect(readdirSync(b.runnerTemp).filter((f) => f.startsWith('kubeline-docker-'))).toEqual([]);
  });
});

describe('build-image with the wrong registry password', () => {
  test.each(['buildx', 'buildah'])('%s: exit 1, one clear line, the password in no log', async (builder) => {
    const wrong = plantSecret(`wrong-${randomBytes(8).toString('hex')}`);
    const b = await build({
      builder,
      context: context(),
      tags: `${env.AUTH_REGISTRY}/e2e/build-image-auth:t-${unique()}`,
      secrets: `token=${SECRET}`,
      'registry-username': env.AUTH_REGISTRY_USER,
      'registry-password': wrong,
      'registry-ca': env.AUTH_REGISTRY_CA,
    });
    expect(b.code).toBe(1);
    expect(errorLines(b)).toEqual([
      expect.stringMatching(
        /^error: build-image: registry 127\.0\.0\.1:5443 refused the credentials for .* \(HTTP 401\)$/,
      ),
    ]);
    expect(b.stdout + b.stderr).not.toContain(wrong);
    expect(b.stdout + b.stderr).not.toContain(
      Buffer.from(`${env.AUTH_REGISTRY_USER}:${wrong}`).toString('base64'),
    );
  });
});

describe('tag policy', () => {
  const repo = `${env.REGISTRY}/e2e/build-image-policy`;

  test('immutable refuses to re-point an existing tag; nothing moves and the untagged push is named', async () => {
    const tag = `${repo}:v-${unique()}`;
    const first = ok(await build({ context: context('first'), tags: tag, secrets: `token=${SECRET}` }));
    const second = await build({ context: context('second'), tags: tag, secrets: `token=${SECRET}` });
    expect(second.code).toBe(1);
    expect(errorLines(second)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: build-image: tag-policy immutable: ${tag.replace(/[.]/g, '\\.')} already points to ${first.out.digest}, not this build's sha256:[a-f0-9]{64}; no tag was moved and the new image was pushed untagged as ${repo.replace(/[.]/g, '\\.')}@sha256:`,
        ),
      ),
    ]);
    expect(await served(tag)).toBe(first.out.digest);
  });

  test('two builds of one new tag at once: the first to finish takes it, the other is refused and moves nothing', async () => {
    const tag = `${repo}:race-${unique()}`;
    const slow = context(`slow-${unique()}`); // a marker of its own: BuildKit must not reuse a cached sleep
    // the slow build checks the registry with the fast one, and finishes seconds after it tagged
    writeFileSync(
      join(slow, 'Dockerfile'),
      `${readFileSync(join(slow, 'Dockerfile'), 'utf8')}RUN ["/bin/busybox", "sleep", "4"]\n`,
    );
    const [fast, late] = await Promise.all([
      build({ context: context(`fast-${unique()}`), tags: tag, secrets: `token=${SECRET}` }),
      build({ context: slow, tags: tag, secrets: `token=${SECRET}` }),
    ]);
    ok(fast);
    expect(late.code).toBe(1);
    expect(errorLines(late)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: build-image: tag-policy immutable: ${tag.replace(/[.]/g, '\\.')} was pointed during this build to ${fast.out.digest}, not this build's sha256:[a-f0-9]{64}; no tag was moved and the new image was pushed untagged`,
        ),
      ),
    ]);
    expect(await served(tag)).toBe(fast.out.digest);
  });

  test('buildah: the digest is computed before any push, so a refusal pushes nothing', async () => {
    const tag = `${repo}:b-${unique()}`;
    const first = ok(
      await build({ builder: 'buildah', context: context('b1'), tags: tag, secrets: `token=${SECRET}` }),
    );
    const second = await build({
      builder: 'buildah',
      context: context('b2'),
      tags: tag,
      secrets: `token=${SECRET}`,
    });
    expect(second.code).toBe(1);
    expect(errorLines(second)).toEqual([
      expect.stringMatching(
        /already points to sha256:[a-f0-9]{64}, not this build's sha256:[a-f0-9]{64}; no tag was moved and nothing was pushed$/,
      ),
    ]);
    expect(await served(tag)).toBe(first.out.digest);
  });

  test('immutable confirms a tag that already holds the same image, and adds the new tags', async () => {
    const ctx = context('same');
    const v = `v-${unique()}`;
    const fixedTime = { SOURCE_DATE_EPOCH: '1700000000' };
    const first = ok(
      await build({ context: ctx, tags: `${repo}:${v}`, secrets: `token=${SECRET}` }, fixedTime),
    );
    const again = ok(
      await build(
        { context: ctx, tags: `${repo}:${v}\n${repo}:${v}-b`, secrets: `token=${SECRET}` },
        fixedTime,
      ),
    );
    expect(again.out.digest).toBe(first.out.digest);
    expect(await served(`${repo}:${v}-b`)).toBe(first.out.digest);
  });

  test('mutable moves the tag and says so; latest is refused only when immutable', async () => {
    const tag = `${repo}:m-${unique()}`;
    const first = ok(await build({ context: context(), tags: tag, secrets: `token=${SECRET}` }));
    const moved = ok(
      await build({ context: context(), tags: tag, secrets: `token=${SECRET}`, 'tag-policy': 'mutable' }),
    );
    expect(moved.stderr).toContain(`tag ${tag} moved from ${first.out.digest} to ${moved.out.digest}`);
    expect(await served(tag)).toBe(moved.out.digest);

    const latest = await build({ context: context(), tags: `${repo}:latest`, secrets: `token=${SECRET}` });
    expect(latest.code).toBe(1);
    expect(errorLines(latest)).toEqual([expect.stringContaining('tag-policy immutable refuses `latest`')]);
  });
});

describe('build-image, more of what users rely on', () => {
  test.each(['buildx', 'buildah'])(
    '%s: two platforms FROM scratch give an index whose per-platform digests are reported',
    async (builder) => {
      const repo = `${env.REGISTRY}/e2e/build-image-multi-${builder}`;
      const b = ok(
        await build({
          builder,
          context: context(),
          file: join(fixture, 'Dockerfile.multi'),
          tags: `${repo}:t-${unique()}`,
          platforms: 'linux/amd64,linux/arm64',
        }),
      );
      const index = await new RegistryClient(env.REGISTRY).manifest(
        parseReference(`${repo}@${b.out.digest}`),
      );
      expect(index?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      const platforms = JSON.parse(b.out.platforms!) as Array<{ platform: string; digest: string }>;
      expect(platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expect(platforms).toEqual(index?.platforms);
    },
  );

  test('default tags and OCI labels come from the CI context when tags is empty', async () => {
    const sha = randomBytes(20).toString('hex');
    const repo = `${env.REGISTRY}/e2e/build-image-defaults`;
    const b = ok(
      await build(
        { context: context(), repository: repo, secrets: `token=${SECRET}` },
        {
          GITHUB_SHA: sha,
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REPOSITORY: 'acme/web',
          GITHUB_SERVER_URL: 'https://github.com',
        },
      ),
    );
    expect(b.out.tags).toBe(`${repo}:sha-${sha.slice(0, 7)}`);
    const contract = JSON.parse(b.out['image-json']!) as ImageContract;
    expect(contract.labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/acme/web',
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.version': `sha-${sha.slice(0, 7)}`,
    });
  });

  test('a cache export that fails warns and does not fail the build', async () => {
    const tag = `${env.REGISTRY}/e2e/build-image-cache:t-${unique()}`;
    const b = ok(
      await build({
        context: context(),
        tags: tag,
        secrets: `token=${SECRET}`,
        'cache-to': 'type=registry,ref=127.0.0.1:9/nowhere/cache:latest,mode=max',
      }),
    );
    expect(b.stderr).toMatch(/warning: cache export failed/);
    expect(await served(tag)).toBe(b.out.digest);
  });

  test('on the docker engine (no buildkit-host) a refused cache export is retried without it', async () => {
    const tag = `${env.REGISTRY}/e2e/build-image-engine:t-${unique()}`;
    // The stack's engine has no bridge network for RUN steps: the fixture without one.
    const b = ok(
      await build(
        {
          context: context(),
          file: join(fixture, 'Dockerfile.multi'),
          tags: tag,
          'cache-to': `type=registry,ref=${env.REGISTRY}/e2e/cache:c`,
          // Named, the engine's builder is used as is (unnamed, kubeline would make its own for cache-to).
          'buildx-builder': 'default',
        },
        { BUILDKIT_HOST: '', DOCKER_HOST: env.DOCKER_HOST },
      ),
    );
    expect(b.stderr).toContain('(docker engine)');
    expect(b.stderr).toMatch(
      /warning: cache export failed; building again without cache-to: .*not supported for the docker driver/,
    );
    expect(await served(tag)).toBe(b.out.digest);
    expect(JSON.parse(b.out.platforms!)).toEqual([{ platform: 'linux/amd64', digest: b.out.digest }]);
  });

  test('push: false still gives a digest, marked not pushed, and pushes nothing', async () => {
    const tag = `${env.REGISTRY}/e2e/build-image-local:t-${unique()}`;
    const b = ok(await build({ context: context(), tags: tag, push: 'false', secrets: `token=${SECRET}` }));
    expect(b.out.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect((JSON.parse(b.out['image-json']!) as ImageContract).pushed).toBe(false);
    expect(await new RegistryClient(env.REGISTRY).manifest(parseReference(tag))).toBeUndefined();
  });

  test('a builder that accepts the connection and never answers is stopped at timeout, in one line', async () => {
    // a black hole on loopback: buildx connects, then waits for a gRPC answer that never comes
    const held: Socket[] = [];
    const hole = createServer((socket) => held.push(socket));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const port = (hole.address() as { port: number }).port;
    try {
      const started = Date.now();
      const b = await build(
        { context: context(), tags: `${env.REGISTRY}/e2e/build-image-hang:t-${unique()}`, timeout: '5s' },
        { BUILDKIT_HOST: `tcp://127.0.0.1:${port}` },
      );
      expect(b.code).toBe(1);
      expect(errorLines(b)).toEqual([
        'error: build-image: the build did not finish within timeout (5.0s); it was stopped',
      ]);
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(readdirSync(b.runnerTemp).filter((f) => f.startsWith('kubeline-build-image-'))).toEqual([]);
    } finally {
      for (const s of held) s.destroy();
      hole.close();
    }
  });

  test('missing context and Dockerfile are named; the step leaves no login behind', async () => {
    const dir = tempDir('kubeline-bi-empty-');
    const b = await build({
      context: dir,
      tags: `${env.REGISTRY}/e2e/x:1`,
      'registry-username': 'u',
      'registry-password': 'p-123456',
    });
    expect(b.code).toBe(1);
    expect(errorLines(b)).toEqual([
      `error: build-image: Dockerfile ${join(dir, 'Dockerfile')} does not exist (input "file")`,
    ]);
    expect(existsSync(join(b.runnerTemp, 'state'))).toBe(false);
  });
});

describe('build-image against a flaky registry (a fault-injecting proxy in front of the real one)', () => {
  const isManifest = (path: string) => /\/manifests\//.test(path);
  const byKubeline = (userAgent: string) => userAgent === '';

  test.each(['buildx', 'buildah'])(
    '%s: 503s and dropped connections while pushing and reading back: retried, and the digest is the one served',
    async (builder) => {
      const proxy = await startFaultProxy(
        `http://${env.REGISTRY}`,
        ({ method, path, userAgent }, earlier) => {
          if (earlier > 0) return 'pass';
          // the builder: its first manifest push is refused, its first blob check is cut off
          if (!byKubeline(userAgent) && method === 'PUT' && isManifest(path)) return 'unavailable';
          if (!byKubeline(userAgent) && method === 'HEAD' && /\/blobs\//.test(path)) return 'drop';
          // kubeline's own tag lookup and read-back: refused once, then cut off once
          if (byKubeline(userAgent) && isManifest(path)) return method === 'GET' ? 'unavailable' : 'drop';
          return 'pass';
        },
      );
      try {
        const tag = `${proxy.host}/e2e/build-image-flaky:t-${unique()}`;
        const b = ok(await build({ builder, context: context(), tags: tag, secrets: `token=${SECRET}` }));
        const faults = proxy.seen.filter((s) => s.fault !== 'pass');
        expect(faults.some((s) => !byKubeline(s.userAgent) && s.fault === 'unavailable')).toBe(true);
        expect(faults.some((s) => byKubeline(s.userAgent) && s.fault === 'unavailable')).toBe(true);
        expect(await served(tag.replace(proxy.host, env.REGISTRY))).toBe(b.out.digest);
      } finally {
        await proxy.close();
      }
    },
  );

  test('a registry that keeps refusing the read-back after the push fails the step closed, in one line', async () => {
    let pushed = false;
    const proxy = await startFaultProxy(`http://${env.REGISTRY}`, ({ method, path, userAgent }) => {
      if (!byKubeline(userAgent) && method === 'PUT' && isManifest(path)) pushed = true;
      return pushed && byKubeline(userAgent) && isManifest(path) ? 'unavailable' : 'pass';
    });
    try {
      const b = await build({
        builder: 'buildx',
        context: context(),
        tags: `${proxy.host}/e2e/build-image-down:t-${unique()}`,
        secrets: `token=${SECRET}`,
      });
      expect(b.code).toBe(1);
      expect(b.stderr).not.toMatch(/^\s+at /m);
      expect(errorLines(b)).toHaveLength(1);
      expect(errorLines(b)[0]).toMatch(
        new RegExp(`^error: build-image: .*registry ${proxy.host} answered HTTP 503`),
      );
      expect(b.out['image-json']).toBeUndefined(); // no contract for an image whose digest was never confirmed
    } finally {
      await proxy.close();
    }
  });
});

describe('build-image cancelled mid-build (the job cancelled: SIGTERM, or SIGKILL after the grace)', () => {
  /** A context whose build sits in a RUN step for a minute, so the signal lands mid-build. */
  function slowContext(): string {
    const dir = context();
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\nRUN ["/bin/busybox", "sleep", "60"]\n',
    );
    return dir;
  }

  /** Starts the bundle as a runner would and resolves once the build's RUN step is running. */
  async function startSlowBuild(runnerTemp: string, extra: Record<string, string> = {}) {
    const inputs = {
      builder: 'buildx',
      context: slowContext(),
      tags: `${env.AUTH_REGISTRY}/e2e/build-image-cancel:t-${unique()}`,
      'registry-username': env.AUTH_REGISTRY_USER,
      'registry-password': env.AUTH_REGISTRY_PASSWORD,
      'registry-ca': env.AUTH_REGISTRY_CA,
    };
    const { child, exited, stderr } = spawnBundle('build-image', {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBELINE_PLATFORM: 'cli',
      ...stepEnv(runnerTemp, inputs, extra),
    });
    const deadline = Date.now() + 120_000;
    while (!/RUN \["\/bin\/busybox", "sleep", "60"\]/.test(stderr()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (Date.now() >= deadline) throw new Error(`the build never reached its RUN step:\n${stderr()}`);
    return { child, exited, stderr, context: inputs.context };
  }

  const workDirs = (runnerTemp: string) =>
    readdirSync(runnerTemp).filter((f) => f.startsWith('kubeline-build-image-'));
  /** buildx processes still building this context (their argv names it). */
  const buildxFor = (contextDir: string) =>
    spawnSync('pgrep', ['-f', contextDir], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

  test('SIGTERM: buildx is stopped, the login removed, exit 143 with one line', async () => {
    const runnerTemp = tempDir('kubeline-bi-cancel-');
    const run = await startSlowBuild(runnerTemp);
    expect(workDirs(runnerTemp)).toHaveLength(1); // the login is in there
    const started = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.stderr()).toContain('error: build-image: cancelled by SIGTERM');
    expect(run.stderr()).not.toMatch(/^\s+at /m);
    expect(workDirs(runnerTemp)).toEqual([]);
    expect(buildxFor(run.context)).toEqual([]);
  });

  test('SIGKILL: the post step removes the login the killed main step left', async () => {
    const runnerTemp = tempDir('kubeline-bi-kill-');
    const run = await startSlowBuild(runnerTemp);
    run.child.kill('SIGKILL');
    await run.exited;
    const left = workDirs(runnerTemp);
    expect(left).toHaveLength(1);
    expect(readdirSync(join(runnerTemp, left[0]!)).length).toBeGreaterThan(0);
    const post = await runBundle('build-image', {
      RUNNER_TEMP: runnerTemp,
      KUBELINE_PLATFORM: 'cli',
      KUBELINE_PHASE: 'post',
    });
    expect(post.code).toBe(0);
    expect(workDirs(runnerTemp)).toEqual([]);
    // the orphaned buildx is the runner's to stop (it kills the job's process tree); stop it here
    for (const pid of buildxFor(run.context)) spawnSync('kill', ['-9', pid]);
  });
});

// Builders of the user's own buildx config (what docker/setup-buildx-action makes) and the one kubeline
// makes when the docker driver cannot do the build.
// buildx's docker-container driver always runs its container --privileged; where the stack's dockerd
// cannot start one (runc: "unable to apply caps", the VM's bounding set lacks a capability), the builders
// run on a private dockerd whose runc drops those capabilities (harness/builder-dockerd.ts).
describe('build-image on the user buildx builder, or a docker-container builder of its own', () => {
  const buildx = join(env.STACK_BIN, 'docker-buildx');
  const docker = (argv: string[], host: string) =>
    spawnSync('docker', argv, { env: { ...process.env, DOCKER_HOST: host } });
  let privilegedError: string | undefined;
  let engine: string;
  let builderDockerd: BuilderDockerd | undefined;

  /** A job whose buildx config is its own: no builder but the engine's `default` (docker driver). */
  const jobEnv = (host = engine) => ({
    DOCKER_HOST: host,
    DOCKER_CONFIG: tempDir('kubeline-bi-dc-'),
    BUILDX_CONFIG: tempDir('kubeline-bi-bx-'),
    BUILDKIT_HOST: '',
  });

  /** Main then post step of the bundle, as a runner runs them, in one RUNNER_TEMP. */
  async function buildThenPost(inputs: Record<string, string>, extra: Record<string, string>) {
    const runnerTemp = tempDir('kubeline-bi-rt-');
    const step = stepEnv(runnerTemp, inputs, { ...extra, KUBELINE_PLATFORM: 'cli' });
    const ran = await runBundle('build-image', step);
    const post = await runBundle('build-image', { ...step, KUBELINE_PHASE: 'post' });
    let out: Record<string, string> = {};
    try {
      out = JSON.parse(ran.stdout) as Record<string, string>;
    } catch {
      // a failed step may print nothing on stdout
    }
    return { ...ran, out, runnerTemp, post };
  }

  /** Builders and BuildKit containers kubeline made, as buildx and the engine list them. */
  const kubelineLeftovers = (job: Record<string, string>) => ({
    buildx: spawnSync(buildx, ['ls'], { env: { ...process.env, ...job } })
      .stdout.toString()
      .split('\n')
      .filter((l) => /^kubeline-[0-9a-f]{8}/.test(l)),
    containers: docker(['ps', '-a', '--format', '{{.Names}}'], job.DOCKER_HOST!)
      .stdout.toString()
      .split('\n')
      .filter((n) => n.startsWith('buildx_buildkit_kubeline-')),
  });

  beforeAll(async () => {
    const image = await importBuildkitImage({ DOCKER_HOST: env.DOCKER_HOST });
    privilegedError = await privilegedContainerError({ DOCKER_HOST: env.DOCKER_HOST }, image);
    engine = env.DOCKER_HOST;
    if (!privilegedError) return;
    process.stderr.write(`the stack's dockerd cannot start privileged containers: ${privilegedError}\n`);
    builderDockerd = await startBuilderDockerd();
    engine = builderDockerd.host;
    await importBuildkitImage({ DOCKER_HOST: engine });
  }, 180_000);

  afterAll(async () => {
    await builderDockerd?.stop();
    removeScratch();
  }, 60_000);

  test('buildx-builder names a setup-buildx-action builder: two platforms pushed, per-platform digests served', async () => {
    const job = jobEnv();
    const name = `setup-${unique()}`;
    await createSetupBuildxBuilder(name, job);
    try {
      const repo = `${env.REGISTRY}/e2e/build-image-setup-buildx`;
      const b = await buildThenPost(
        {
          context: context(),
          file: join(fixture, 'Dockerfile.multi'),
          tags: `${repo}:t-${unique()}`,
          platforms: 'linux/amd64,linux/arm64',
          'buildx-builder': name,
        },
        job,
      );
      if (b.code !== 0) throw new Error(`build-image failed:\n${b.stderr}`);
      expect(b.stderr).toContain(
        `buildx builder: ${name} (driver docker-container): named by input buildx-builder`,
      );
      const index = await new RegistryClient(env.REGISTRY).manifest(
        parseReference(`${repo}@${b.out.digest}`),
      );
      const platforms = JSON.parse(b.out.platforms!) as Array<{ platform: string; digest: string }>;
      expect(platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expect(platforms).toEqual(index?.platforms);
      for (const p of platforms) expect(await served(`${repo}@${p.digest}`)).toBe(p.digest);
      // The user's builder is theirs: still there after the post step.
      expect(spawnSync(buildx, ['inspect', name], { env: { ...process.env, ...job } }).status).toBe(0);
    } finally {
      spawnSync(buildx, ['rm', name], { env: { ...process.env, ...job } });
    }
  });

  test('an unknown buildx-builder: one line naming the input, the value and what buildx ls has', async () => {
    const b = await buildThenPost(
      { context: context(), tags: `${env.REGISTRY}/e2e/x:t-${unique()}`, 'buildx-builder': 'typo' },
      jobEnv(),
    );
    expect(b.code).toBe(1);
    expect(errorLines(b)).toEqual([
      'error: build-image: input "buildx-builder": "typo" is not valid; no such buildx builder; `docker buildx ls` has default',
    ]);
  });

  test('the docker driver cannot build two platforms: kubeline makes its own builder, and the post step removes it', async () => {
    const job = jobEnv();
    const repo = `${env.REGISTRY}/e2e/build-image-own-builder`;
    const b = await buildThenPost(
      {
        context: context(),
        file: join(fixture, 'Dockerfile.multi'),
        tags: `${repo}:t-${unique()}`,
        platforms: 'linux/amd64,linux/arm64',
        'buildx-driver-opts': 'image=moby/buildkit:kubeline-test\nnetwork=host',
      },
      job,
    );
    if (b.code !== 0) throw new Error(`build-image failed:\n${b.stderr}`);
    expect(b.stderr).toMatch(
      /the current builder "default" uses the docker driver, which cannot build several platforms \(linux\/amd64, linux\/arm64\): creating a docker-container builder for this build/,
    );
    const name = /buildx builder: (kubeline-[0-9a-f]{8}) \(driver docker-container\)/.exec(b.stderr)?.[1];
    expect(name).toBeDefined();
    const index = await new RegistryClient(env.REGISTRY).manifest(parseReference(`${repo}@${b.out.digest}`));
    const platforms = JSON.parse(b.out.platforms!) as Array<{ platform: string; digest: string }>;
    expect(platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(platforms).toEqual(index?.platforms);
    expect(b.post.code).toBe(0);
    expect(b.post.stderr).toContain(`removed buildx builder ${name}`);
    expect(kubelineLeftovers(job)).toEqual({ buildx: [], containers: [] });
  });

  test('SIGTERM mid-build on its own builder: the builder is removed before the step exits, post or not', async () => {
    const job = jobEnv();
    const dir = context();
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\nRUN ["/bin/busybox", "sleep", "60"]\n',
    );
    const inputs = {
      context: dir,
      tags: `${env.REGISTRY}/e2e/build-image-own-cancel:t-${unique()}`,
      'cache-to': `type=registry,ref=${env.REGISTRY}/e2e/cache:own-cancel`,
      'buildx-driver-opts': 'image=moby/buildkit:kubeline-test,network=host',
    };
    const step = stepEnv(tempDir('kubeline-bi-rt-'), inputs, { ...job, KUBELINE_PLATFORM: 'cli' });
    const { child, exited, stderr } = spawnBundle('build-image', {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...step,
    });
    const deadline = Date.now() + 120_000;
    while (!/RUN \["\/bin\/busybox", "sleep", "60"\]/.test(stderr()) && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the build ended before its RUN step:\n${stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(kubelineLeftovers(job).containers).toHaveLength(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(kubelineLeftovers(job)).toEqual({ buildx: [], containers: [] });
  });

  test('where the engine cannot start the builder: one line with the reason, nothing left behind', async () => {
    if (!privilegedError) return; // the stack's engine can start builders: nothing to show here
    const job = jobEnv(env.DOCKER_HOST);
    const b = await buildThenPost(
      {
        context: context(),
        tags: `${env.REGISTRY}/e2e/build-image-own-builder:t-${unique()}`,
        'cache-to': `type=registry,ref=${env.REGISTRY}/e2e/cache:own`,
        'buildx-driver-opts': 'image=moby/buildkit:kubeline-test,network=host',
      },
      job,
    );
    expect(b.code).toBe(1);
    expect(errorLines(b)).toEqual([
      expect.stringMatching(
        /^error: build-image: could not start a docker-container buildx builder: ERROR: .*unable to apply caps.*; name a working builder with buildx-builder, or set buildkit-host$/,
      ),
    ]);
    expect(b.stderr).not.toMatch(/\n\s+at /);
    expect(b.post.code).toBe(0);
    expect(kubelineLeftovers(job)).toEqual({ buildx: [], containers: [] });
  });

  test('load: true (one platform) puts the image in the engine store too, and says loaded', async () => {
    const tag = `${env.REGISTRY}/e2e/build-image-load:t-${unique()}`;
    const b = await buildThenPost(
      { context: context(), tags: tag, load: 'true', secrets: `token=${SECRET}` },
      { DOCKER_HOST: env.DOCKER_HOST, DOCKER_CONFIG: tempDir('kubeline-bi-dc-') },
    );
    if (b.code !== 0) throw new Error(`build-image failed:\n${b.stderr}`);
    expect(b.out.loaded).toBe('true');
    expect(await served(tag)).toBe(b.out.digest);
    const images = docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], env.DOCKER_HOST);
    const line = images.stdout
      .toString()
      .split('\n')
      .find((l) => l.startsWith(`${tag} `));
    expect(line).toBeDefined();
    // The loaded image is the pushed one: the same config (image ID).
    expect(b.out['image-id']).toContain(line!.split(' ')[1]!.replace(/^sha256:/, ''));
    docker(['rmi', tag], env.DOCKER_HOST);
  });

  test('load: false says loaded false and loads nothing', async () => {
    const tag = `${env.REGISTRY}/e2e/build-image-noload:t-${unique()}`;
    const b = await buildThenPost(
      { context: context(), tags: tag, secrets: `token=${SECRET}` },
      { DOCKER_HOST: env.DOCKER_HOST },
    );
    if (b.code !== 0) throw new Error(`build-image failed:\n${b.stderr}`);
    expect(b.out.loaded).toBe('false');
    const images = docker(['images', '--format', '{{.Repository}}:{{.Tag}}'], env.DOCKER_HOST);
    expect(images.stdout.toString().split('\n')).not.toContain(tag);
  });
});
