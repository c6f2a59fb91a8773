// cosign-sign end to end: the committed bundle, real cosign (installed from the stack's mirror,
// sha256-verified), the stack's registries. Key-based and offline: no transparency log, and every
// request the action's cosign makes to anything but loopback goes to a recording proxy that
// answers nothing — the last test proves Rekor, Fulcio and TUF were never even tried.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../stack/paths.js';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { loadStackEnv, stackTool } from './harness/stack-env.js';
import { freshDockerConfig, offlineTrivyImage, run, runExpectingFailure } from './harness/tools.js';
import { runBundle, type Ran } from '../support/processes.js';
import { plantSecret } from '../support/secret-audit.js';

const env = loadStackEnv();
const unique = () => randomBytes(4).toString('hex');
const loopbackOnly = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};
const KEY_PASSWORD = plantSecret(`key-pw-${unique()}`);
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
// One tool cache for the file: cosign is downloaded from the mirror once, then found in the cache.
const toolCache = tmp('kubeline-cs-tools-');
// cosign's TUF cache: must still be empty at the end (nothing was fetched from Sigstore).
const tufRoot = tmp('kubeline-cs-tuf-');

/** A proxy that records the first line of every request (`CONNECT rekor.sigstore.dev:443 …`) and drops it. */
const outbound = { url: '', attempts: [] as string[], server: undefined as net.Server | undefined };
beforeAll(async () => {
  outbound.server = net.createServer((socket) => {
    socket.once('data', (d: Buffer) => {
      outbound.attempts.push(d.toString('latin1').split('\r\n')[0] ?? '');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => outbound.server!.listen(0, '127.0.0.1', resolve));
  outbound.url = `http://127.0.0.1:${(outbound.server.address() as net.AddressInfo).port}`;
});
afterAll(() => {
  outbound.server?.close();
});

interface ActionRun extends Ran {
  outputs: Record<string, string>;
  summary: string;
  /** Everything the run printed or wrote for people: logs, outputs and summary. */
  everything: string;
  temp: string;
}

/** Runs actions/cosign-sign/dist/index.js as the CLI would, with INPUT_* from `inputs`. */
async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const temp = tmp('kubeline-cs-run-');
  const given: NodeJS.ProcessEnv = {
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: toolCache,
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
    DOCKER_CONFIG: tmp('kubeline-cs-nologin-'),
    TUF_ROOT: tufRoot,
    HTTP_PROXY: outbound.url,
    HTTPS_PROXY: outbound.url,
    NO_PROXY: '127.0.0.1,localhost',
    INPUT_TRANSPARENCY_LOG: 'false',
  };
  for (const [k, v] of Object.entries(inputs)) given[`INPUT_${k.toUpperCase()}`] = v;
  const r = await runBundle('cosign-sign', given);
  const summaryFile = join(temp, 'kubeline-cosign-sign-summary.md');
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '';
  let outputs: Record<string, string> = {};
  try {
    outputs = JSON.parse(r.stdout) as Record<string, string>;
  } catch {
    // no JSON: asserted by the caller through `code` and stderr
  }
  return { ...r, outputs, summary, everything: r.stdout + r.stderr + summary, temp };
}

/** cosign 3 (the default) stores each signature or attestation as a bundle: an OCI referrer by digest. */
const bundleRef = (name: string) => new RegExp(`^${name.replace(/[.]/g, '\\.')}@sha256:[a-f0-9]{64}$`);
const legacyRef = (name: string, digest: string, kind: 'sig' | 'att') =>
  `${name}:${digest.replace(':', '-')}.${kind}`;

const errorLines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));
const json = <T>(text: string | undefined) => JSON.parse(text ?? 'null') as T;

/** Exit 0, or a failure that shows what the action printed. */
function succeeded(r: Ran): void {
  if (r.code !== 0) throw new Error(`cosign-sign exited ${r.code}:\n${r.stderr}`);
}

/** Exit 1 with exactly one error line (no stack) — returned for exact assertions. */
function failedOneLine(r: ActionRun): string {
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const errors = errorLines(r);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

function contractOf(
  name: string,
  digest: string,
  platforms: Array<{ platform: string; digest: string }> = [],
) {
  return JSON.stringify({
    name,
    digest,
    ref: `${name}@${digest}`,
    tags: [],
    platforms,
    pushed: true,
    labels: {},
  });
}

function noWorkDirLeft(temp: string): void {
  const dirs = readdirSync(temp, { withFileTypes: true }).filter((f) => f.isDirectory());
  expect(dirs.map((d) => d.name).filter((n) => n.startsWith('kubeline-cosign-'))).toEqual([]);
}

/** An in-toto statement as cosign verify-attestation returns it (base64 in a DSSE envelope). */
interface Statement {
  predicateType: string;
  subject: Array<{ digest: { sha256: string } }>;
  predicate: {
    bomFormat?: string;
    scanner?: {
      uri: string;
      result: { Results?: Array<{ Vulnerabilities?: Array<{ VulnerabilityID: string }> }> };
    };
  };
}

let docker: Record<string, string>;
let keyDir: string;
let otherKeyDir: string;
const cosignEnv = () => ({
  ...loopbackOnly,
  TUF_ROOT: tmp('kubeline-cs-tuf-cli-'),
  COSIGN_PASSWORD: KEY_PASSWORD,
});

/** Independent check with the stack's cosign (not the action's): the signature verifies with this key. */
function cosignVerify(
  pub: string,
  ref: string,
  extra: string[] = [],
  dockerEnv: Record<string, string> = {},
) {
  return run(
    [
      stackTool('cosign'),
      'verify',
      '--key',
      pub,
      '--insecure-ignore-tlog=true',
      ...extra,
      '--output',
      'json',
      ref,
    ],
    { ...cosignEnv(), ...dockerEnv },
  );
}

/** docker buildx build --platform linux/amd64,linux/arm64 --push: the index digest and its platforms. */
async function buildIndex(context: string, ref: string): Promise<string> {
  const metadata = join(tmp('kubeline-cs-build-'), 'metadata.json');
  await run(
    [
      'docker',
      'buildx',
      'build',
      '--push',
      '--platform',
      'linux/amd64,linux/arm64',
      '--metadata-file',
      metadata,
      '--tag',
      ref,
      context,
    ],
    docker,
  );
  return json<Record<string, string>>(readFileSync(metadata, 'utf8'))['containerimage.digest']!;
}

beforeAll(async () => {
  docker = await freshDockerConfig('cosign-sign');
  keyDir = tmp('kubeline-cs-keys-');
  otherKeyDir = tmp('kubeline-cs-other-');
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv(), { cwd: keyDir });
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv(), { cwd: otherKeyDir });
});

describe('sign by digest, then verify', () => {
  const name = `${env.REGISTRY}/e2e/cosign-sign`;
  let original: string;
  let tag: string;

  beforeAll(async () => {
    tag = `t-${unique()}`;
    original = await buildAndPush(busyboxContext(tag), [`${name}:${tag}`], docker);
  });

  test('signs the digest of build-image’s image-json; the action and cosign itself both verify it', async () => {
    const r = await runAction({
      image: contractOf(name, original),
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });

    expect(errorLines(r)).toEqual([]);
    succeeded(r);
    // buildx pushes an index (the image plus its provenance): the index and its one platform are signed.
    const signed = json<string[]>(r.outputs['signed-digests']);
    expect(signed).toHaveLength(2);
    expect(signed[0]).toBe(original);
    const refs = json<string[]>(r.outputs['signature-refs']);
    expect(refs).toHaveLength(signed.length);
    for (const ref of refs) expect(ref).toMatch(bundleRef(name));
    expect(json(r.outputs['attestation-refs'])).toEqual([]);
    expect(r.outputs.verified).toBe('true');
    expect(r.summary).toContain(`| index | \`${original}\` | yes | yes |`);
    expect(r.summary).toContain(`| linux/amd64 | \`${signed[1]}\` | yes | yes |`);
    noWorkDirLeft(r.temp);

    const { stdout } = await cosignVerify(join(keyDir, 'cosign.pub'), `${name}@${original}`);
    expect(
      json<Array<{ critical: { image: Record<string, string> } }>>(stdout)[0]?.critical.image[
        'docker-manifest-digest'
      ],
    ).toBe(original);
    await runExpectingFailure(
      [
        stackTool('cosign'),
        'verify',
        '--key',
        join(otherKeyDir, 'cosign.pub'),
        '--insecure-ignore-tlog=true',
        `${name}@${original}`,
      ],
      cosignEnv(),
    );
  });

  test('verify mode (deploy gate) with the public key as PEM content passes', async () => {
    const r = await runAction({
      mode: 'verify',
      image: `${name}@${original}`,
      key: readFileSync(join(keyDir, 'cosign.pub'), 'utf8'),
    });
    succeeded(r);
    expect(r.outputs.verified).toBe('true');
    expect(json<string[]>(r.outputs['signed-digests'])[0]).toBe(original);
  });

  test('TAMPER: another image pushed to the same tag — the original digest still verifies, the new one does not', async () => {
    const tampered = await buildAndPush(busyboxContext(`${tag}-tampered`), [`${name}:${tag}`], docker);
    expect(tampered).not.toBe(original);

    const byTag = await runAction({
      mode: 'verify',
      image: `${name}:${tag}`,
      key: join(keyDir, 'cosign.pub'),
    });
    expect(byTag.stderr).toContain(`resolved ${name}:${tag} to ${tampered}; using the digest from here on`);
    expect(failedOneLine(byTag)).toBe(
      `error: cosign-sign: verification failed for ${name}@${tampered}: no signature found (and 1 more)`,
    );
    expect(byTag.outputs.verified).toBe('false');
    expect(json(byTag.outputs['signed-digests'])).toEqual([]);
    expect(byTag.summary).toContain(`| index | \`${tampered}\` | no | no: no signature found |`);

    const byDigest = await runAction({
      mode: 'verify',
      image: contractOf(name, original),
      key: join(keyDir, 'cosign.pub'),
    });
    succeeded(byDigest);
    expect(byDigest.outputs.verified).toBe('true');

    const wrongKey = await runAction({
      mode: 'verify',
      image: contractOf(name, original),
      key: join(otherKeyDir, 'cosign.pub'),
    });
    expect(failedOneLine(wrongKey)).toBe(
      `error: cosign-sign: verification failed for ${name}@${original}: no signature matches the key or identity (and 1 more)`,
    );
  });
});

describe('cosign 3 (default) and cosign 2 verify what the other wrote', () => {
  const name = `${env.REGISTRY}/e2e/cosign-sign-majors`;
  const pub = () => join(keyDir, 'cosign.pub');

  test('signed by cosign 2 (.sig tags): a cosign 3 gate verifies it', async () => {
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const signed = await runAction({
      image: `${name}@${digest}`,
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
      'cosign-version': '2',
    });
    succeeded(signed);
    expect(signed.summary).toContain('2.6.5');
    // buildx pushed an index and its platform manifest: both carry a .sig tag
    const digests = json<string[]>(signed.outputs['signed-digests']);
    expect(digests[0]).toBe(digest);
    expect(json(signed.outputs['signature-refs'])).toEqual(digests.map((d) => legacyRef(name, d, 'sig')));
    const gate = await runAction({ mode: 'verify', image: `${name}@${digest}`, key: pub() });
    succeeded(gate);
    expect(gate.summary).toContain('3.1.3');
    expect(json(gate.outputs['signed-digests'])).toEqual(digests);
  });

  test('signed by cosign 3 (bundles): a cosign 2 gate verifies it', async () => {
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const signed = await runAction({
      image: `${name}@${digest}`,
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });
    succeeded(signed);
    expect(json<string[]>(signed.outputs['signature-refs'])[0]).toMatch(bundleRef(name));
    const gate = await runAction({
      mode: 'verify',
      image: `${name}@${digest}`,
      key: pub(),
      'cosign-version': '2',
    });
    succeeded(gate);
    expect(json(gate.outputs['signed-digests'])).toEqual(json(signed.outputs['signed-digests']));
  });

  /** cosign 3's CLI attaching a CycloneDX attestation (a Sigstore bundle) to `ref`. */
  async function attestWithCosign3(ref: string): Promise<void> {
    const predicate = join(tmp('kubeline-cs-pred-'), 'bom.json');
    writeFileSync(predicate, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [] }));
    await run(
      [
        stackTool('cosign'),
        'attest',
        '--yes',
        '--key',
        join(keyDir, 'cosign.key'),
        '--type',
        'cyclonedx',
        '--predicate',
        predicate,
        '--use-signing-config=false',
        '--tlog-upload=false',
        ref,
      ],
      cosignEnv(),
    );
  }

  test('a cosign 2 signature behind a later cosign 3 attestation still passes a cosign 3 gate', async () => {
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const ref = `${name}@${digest}`;
    succeeded(
      await runAction({
        image: ref,
        key: join(keyDir, 'cosign.key'),
        password: KEY_PASSWORD,
        'cosign-version': '2',
      }),
    );
    await attestWithCosign3(ref);
    // cosign 3 looks at bundles only once an image has one: the gate checks the .sig tags too
    const gate = await runAction({ mode: 'verify', image: ref, key: pub() });
    succeeded(gate);
    expect(json<string[]>(gate.outputs['signature-refs'])).toContain(legacyRef(name, digest, 'sig'));
  });

  test('an attestation bundle alone is no signature (cosign 3 itself would call it verified)', async () => {
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const ref = `${name}@${digest}`;
    await attestWithCosign3(ref);
    const { stdout } = await cosignVerify(pub(), ref);
    expect(json<unknown[]>(stdout).length).toBeGreaterThan(0); // cosign 3 accepts it
    const gate = await runAction({ mode: 'verify', image: ref, key: pub(), recursive: 'false' });
    expect(failedOneLine(gate)).toBe(
      `error: cosign-sign: verification failed for ${ref}: no signed payload is a signature of this digest`,
    );
  });
});

describe('a multi-platform index', () => {
  test('signs the index and every platform digest; each verifies on its own', async () => {
    const name = `${env.REGISTRY}/e2e/cosign-sign-multi`;
    const tag = `t-${unique()}`;
    const index = await buildIndex(busyboxContext(tag), `${name}:${tag}`);

    // A reference by tag: the action reads the index's platforms from the registry itself.
    const r = await runAction({
      image: `${name}:${tag}`,
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });
    succeeded(r);
    const signed = json<string[]>(r.outputs['signed-digests']);
    expect(signed).toHaveLength(3);
    expect(signed[0]).toBe(index);
    const refs = json<string[]>(r.outputs['signature-refs']);
    expect(refs).toHaveLength(signed.length);
    for (const ref of refs) expect(ref).toMatch(bundleRef(name));
    expect(r.summary).toMatch(/\| linux\/amd64 \| `sha256:[a-f0-9]{64}` \| yes \| yes \|/);
    expect(r.summary).toMatch(/\| linux\/arm64 \| `sha256:[a-f0-9]{64}` \| yes \| yes \|/);

    const { stdout } = await run(
      ['docker', 'buildx', 'imagetools', 'inspect', '--raw', `${name}@${index}`],
      docker,
    );
    const platforms = json<{
      manifests: Array<{ digest: string; platform: { architecture: string; os: string } }>;
    }>(stdout)
      .manifests.filter((m) => m.platform.os === 'linux')
      .map((m) => ({ platform: `linux/${m.platform.architecture}`, digest: m.digest }));
    expect(platforms).toHaveLength(2);
    expect(signed.slice(1).sort()).toEqual(platforms.map((p) => p.digest).sort());
    for (const digest of signed) await cosignVerify(join(keyDir, 'cosign.pub'), `${name}@${digest}`);

    // The gate reads the platforms from build-image's image-json this time.
    const gate = await runAction({
      mode: 'verify',
      image: contractOf(name, index, platforms),
      key: join(keyDir, 'cosign.pub'),
    });
    succeeded(gate);
    expect(json<string[]>(gate.outputs['signed-digests']).sort()).toEqual([...signed].sort());
  });
});

describe('attestations', () => {
  test('attaches trivy’s CycloneDX SBOM and its JSON result (as a vuln predicate); cosign verify-attestation finds both', async () => {
    const name = `${env.REGISTRY}/e2e/cosign-sign-attest`;
    const digest = await buildAndPush(
      join(repoRoot, 'test/fixtures/vuln-image'),
      [`${name}:t-${unique()}`],
      docker,
    );
    const ref = `${name}@${digest}`;
    const work = tmp('kubeline-cs-scan-');
    const trivy = (format: string) => run(offlineTrivyImage(ref, join(work, 'cache'), format), loopbackOnly);
    writeFileSync(join(work, 'trivy.json'), (await trivy('json')).stdout);
    writeFileSync(join(work, 'sbom.cdx.json'), (await trivy('cyclonedx')).stdout);

    const r = await runAction({
      image: contractOf(name, digest),
      key: readFileSync(join(keyDir, 'cosign.key'), 'utf8'),
      password: KEY_PASSWORD,
      sbom: join(work, 'sbom.cdx.json'),
      'vuln-report': join(work, 'trivy.json'),
    });
    succeeded(r);
    // one bundle per attestation (cyclonedx and vuln), each a referrer of the image digest
    const attestationRefs = json<string[]>(r.outputs['attestation-refs']);
    expect(attestationRefs).toHaveLength(2);
    for (const ref of attestationRefs) expect(ref).toMatch(bundleRef(name));
    expect(r.stderr).not.toMatch(/^warning:/m); // trivy's report names this image's digest
    expect(r.summary).toContain(`| cyclonedx | ${join(work, 'sbom.cdx.json')} | yes |`);
    expect(r.summary).toContain(`| vuln | ${join(work, 'trivy.json')} | yes |`);
    expect(r.everything).not.toContain('PRIVATE KEY');
    noWorkDirLeft(r.temp);

    const statement = async (type: string) => {
      const { stdout } = await run(
        [
          stackTool('cosign'),
          'verify-attestation',
          '--key',
          join(keyDir, 'cosign.pub'),
          '--type',
          type,
          '--insecure-ignore-tlog=true',
          ref,
        ],
        cosignEnv(),
      );
      const envelope = json<{ payload: string }>(stdout.trim().split('\n')[0]);
      return json<Statement>(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    };
    const vuln = await statement('vuln');
    expect(vuln.predicateType).toBe('https://cosign.sigstore.dev/attestation/vuln/v1');
    expect(vuln.subject[0]?.digest.sha256).toBe(digest.slice('sha256:'.length));
    expect(vuln.predicate.scanner?.uri).toMatch(/^pkg:github\/aquasecurity\/trivy@\d+\.\d+\.\d+$/);
    const findings = (vuln.predicate.scanner?.result.Results ?? []).flatMap((x) => x.Vulnerabilities ?? []);
    expect(findings.map((f) => f.VulnerabilityID)).toContain('CVE-2099-0001');
    const sbom = await statement('cyclonedx');
    expect(sbom.predicateType).toBe('https://cyclonedx.org/bom');
    expect(sbom.predicate.bomFormat).toBe('CycloneDX');

    const gate = await runAction({
      mode: 'verify',
      image: ref,
      key: join(keyDir, 'cosign.pub'),
      'require-attestations': 'cyclonedx, vuln',
    });
    succeeded(gate);
    expect(json<string[]>(gate.outputs['attestation-refs']).sort()).toEqual([...attestationRefs].sort());
  });

  test('the deploy gate fails on an image signed but never scanned, naming the attestation', async () => {
    const name = `${env.REGISTRY}/e2e/cosign-sign-unscanned`;
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const signed = await runAction({
      image: `${name}@${digest}`,
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });
    succeeded(signed);

    const gate = await runAction({
      mode: 'verify',
      image: `${name}@${digest}`,
      key: join(keyDir, 'cosign.pub'),
      'require-attestations': 'vuln',
    });
    expect(failedOneLine(gate)).toMatch(
      new RegExp(
        `^error: cosign-sign: verification failed for the vuln attestation of ${name}@${digest}: no (vuln )?attestation`,
      ),
    );
    expect(gate.outputs.verified).toBe('false');
  });
});

describe('the authenticated TLS registry', () => {
  const name = `${env.AUTH_REGISTRY}/e2e/cosign-sign`;
  let digest: string;
  let loggedIn: Record<string, string>;

  beforeAll(async () => {
    loggedIn = await freshDockerConfig('cosign-sign-auth');
    await run(
      ['docker', 'login', '--username', env.AUTH_REGISTRY_USER, '--password-stdin', env.AUTH_REGISTRY],
      loggedIn,
      {
        input: env.AUTH_REGISTRY_PASSWORD,
      },
    );
    digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], loggedIn);
  });

  test('the right password signs (login and CA given as inputs); the password appears in no log', async () => {
    const r = await runAction({
      image: contractOf(name, digest),
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
      'registry-username': env.AUTH_REGISTRY_USER,
      'registry-password': env.AUTH_REGISTRY_PASSWORD,
      'registry-ca': env.AUTH_REGISTRY_CA,
    });
    succeeded(r);
    expect(r.outputs.verified).toBe('true');
    expect(r.everything).not.toContain(env.AUTH_REGISTRY_PASSWORD);
    expect(r.everything).not.toContain(KEY_PASSWORD);
    noWorkDirLeft(r.temp); // the private docker config with the login is gone too

    await cosignVerify(
      join(keyDir, 'cosign.pub'),
      `${name}@${digest}`,
      ['--registry-cacert', env.AUTH_REGISTRY_CA],
      {
        DOCKER_CONFIG: loggedIn.DOCKER_CONFIG!,
      },
    );
  });

  test('a wrong registry password: one clear line, and the planted password is in no output', async () => {
    const planted = `planted-registry-pw-${unique()}`;
    const r = await runAction({
      image: contractOf(name, digest),
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
      'registry-username': env.AUTH_REGISTRY_USER,
      'registry-password': planted,
      'registry-ca': readFileSync(env.AUTH_REGISTRY_CA, 'utf8'),
    });
    expect(failedOneLine(r)).toBe(
      `error: cosign-sign: registry ${env.AUTH_REGISTRY} refused the credentials for ${name}@${digest} (HTTP 401)`,
    );
    expect(r.everything).not.toContain(planted);
  });

  test('without the CA: one line saying the certificate is not trusted', async () => {
    const r = await runAction({
      image: contractOf(name, digest),
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
      'registry-username': env.AUTH_REGISTRY_USER,
      'registry-password': env.AUTH_REGISTRY_PASSWORD,
    });
    expect(failedOneLine(r)).toMatch(
      new RegExp(`^error: cosign-sign: registry ${env.AUTH_REGISTRY}: TLS certificate not trusted`),
    );
  });
});

describe('bad input', () => {
  const name = `${env.REGISTRY}/e2e/cosign-sign-bad`;

  test('a wrong key password: one clear line before anything is pushed; the planted password is in no output', async () => {
    const digest = await buildAndPush(busyboxContext(unique()), [`${name}:t-${unique()}`], docker);
    const planted = `planted-key-pw-${unique()}`;
    const r = await runAction({
      image: `${name}@${digest}`,
      key: join(keyDir, 'cosign.key'),
      password: planted,
    });
    expect(failedOneLine(r)).toBe(
      'error: cosign-sign: the signing key: the private key could not be decrypted: wrong `password`',
    );
    expect(r.everything).not.toContain(planted);
    // nothing was signed
    await runExpectingFailure(
      [
        stackTool('cosign'),
        'verify',
        '--key',
        join(keyDir, 'cosign.pub'),
        '--insecure-ignore-tlog=true',
        `${name}@${digest}`,
      ],
      cosignEnv(),
    );
  });

  test('a tag that no longer resolves is refused, never signed', async () => {
    const tag = `t-${unique()}`;
    const digest = await buildAndPush(busyboxContext(tag), [`${name}:${tag}`], docker);
    const deleted = await fetch(`http://${env.REGISTRY}/v2/e2e/cosign-sign-bad/manifests/${digest}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);

    const r = await runAction({
      image: `${name}:${tag}`,
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });
    expect(failedOneLine(r)).toBe(
      `error: cosign-sign: input "image": ${name}:${tag} does not resolve: tag ${tag} is not in ${name}`,
    );
    const gone = await runAction({
      image: contractOf(name, digest),
      key: join(keyDir, 'cosign.key'),
      password: KEY_PASSWORD,
    });
    expect(failedOneLine(gone)).toBe(
      `error: cosign-sign: input "image": ${name}@${digest} does not resolve: digest ${digest} is not in ${name}`,
    );
  });

  test('a malformed reference and a missing key file: one line naming the input', async () => {
    const malformed = await runAction({
      image: `${env.REGISTRY}/E2E/Upper:tag`,
      key: join(keyDir, 'cosign.key'),
    });
    expect(failedOneLine(malformed)).toBe(
      `error: cosign-sign: input "image": "${env.REGISTRY}/E2E/Upper:tag" is not valid; allowed: [registry/]repository[:tag][@sha256:<64 hex>], lowercase repository`,
    );
    const missing = join(keyDir, 'missing.key');
    const noKey = await runAction({ image: `${name}:any`, key: missing });
    expect(failedOneLine(noKey)).toBe(
      `error: cosign-sign: input "key": "${missing}" is not valid; no such file; give PEM content, the path of a key file, or a KMS URI (awskms://, gcpkms://, …)`,
    );
  });
});

describe('clean-up', () => {
  test('the post step removes the private work dir a cancelled main step left behind', async () => {
    const temp = tmp('kubeline-cs-post-');
    const left = join(temp, 'kubeline-cosign-sign-cancelled');
    mkdirSync(left);
    writeFileSync(join(left, 'cosign.key'), 'key material', { mode: 0o600 });
    mkdirSync(join(temp, 'state'));
    writeFileSync(join(temp, 'state', 'cosign-sign.json'), JSON.stringify({ 'kubeline-work-dir': left }));

    const r = await runBundle('cosign-sign', { RUNNER_TEMP: temp, KUBELINE_PHASE: 'post' });
    succeeded(r);
    expect(existsSync(left)).toBe(false);
  });

  test('no run tried to reach anything but loopback (Rekor, Fulcio, TUF), and nothing was cached from TUF', () => {
    expect(outbound.attempts).toEqual([]);
    expect(readdirSync(tufRoot)).toEqual([]);
  });

  test('control: the recording proxy does catch cosign reaching out (cosign 2 verifying without a trusted root asks TUF)', async () => {
    const signedRef = `${env.REGISTRY}/e2e/cosign-sign-control@${await buildAndPush(busyboxContext(unique()), [`${env.REGISTRY}/e2e/cosign-sign-control:t-${unique()}`], docker)}`;
    await run(
      [
        stackTool('cosign2'),
        'sign',
        '--yes',
        '--key',
        join(keyDir, 'cosign.key'),
        '--tlog-upload=false',
        signedRef,
      ],
      cosignEnv(),
    );
    await run(
      [
        stackTool('cosign2'),
        'verify',
        '--key',
        join(keyDir, 'cosign.pub'),
        '--insecure-ignore-tlog=true',
        signedRef,
      ],
      { ...cosignEnv(), HTTP_PROXY: outbound.url, HTTPS_PROXY: outbound.url },
    );
    expect(outbound.attempts.join('\n')).toMatch(/^CONNECT tuf-repo-cdn\.sigstore\.dev:443/m);
  });
});
