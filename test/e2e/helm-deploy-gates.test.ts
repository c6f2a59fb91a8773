// helm-deploy's supply-chain gates on Helm 3 and 4: real images built with buildx and pushed to the
// stack's registry, signed with cosign and a generated key (offline: no transparency log), scanned
// with the real trivy and the stack's small DB. A refused image leaves the release as it was.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../stack/paths.js';
import { runBundle } from '../support/processes.js';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { useTestNamespace } from './harness/kube.js';
import { stackTool } from './harness/stack-env.js';
import { freshDockerConfig, offlineTrivyImage, run } from './harness/tools.js';
import {
  MAJORS,
  WEB_CHART,
  deploy,
  env,
  failedOneLine,
  history,
  image,
  readDeployment,
  succeeded,
  tmp,
  unique,
} from './helm-deploy.harness.js';

const PASSWORD = `pw-${unique()}`;
const loopbackOnly = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};
const name = `${env.REGISTRY}/e2e/helm-deploy-gates`;
let keys: string;
let otherKeys: string;
let signed: string;
let unsigned: string;
let vulnerable: string;
let cleanReport: string;
let vulnReport: string;
/** Signed and attested by cosign-sign itself (cosign 3 bundles), its trivy result as the vuln predicate. */
let attested: string;
/** On the stack's TLS registry with htpasswd auth, signed by cosign-sign with the login as inputs. */
const privateName = `${env.AUTH_REGISTRY}/e2e/helm-deploy-gates`;
let privateDigest: string;

async function trivyReport(ref: string): Promise<string> {
  const out = join(tmp('kubeline-hd-trivy-'), 'report.json');
  await run([...offlineTrivyImage(ref, tmp('kubeline-hd-trivy-cache-')), '--output', out], loopbackOnly);
  return out;
}

/** Signs (and attests) `ref` with the cosign-sign bundle and the test key, offline; `extra` adds inputs. */
async function signWithAction(ref: string, extra: NodeJS.ProcessEnv): Promise<void> {
  const r = await runBundle('cosign-sign', {
    RUNNER_TEMP: tmp('kubeline-hd-sign-'),
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
    TUF_ROOT: tmp('kubeline-hd-tuf-sign-'),
    ...loopbackOnly,
    INPUT_IMAGE: ref,
    INPUT_KEY: join(keys, 'cosign.key'),
    INPUT_PASSWORD: PASSWORD,
    'INPUT_TRANSPARENCY-LOG': 'false',
    ...extra,
  });
  if (r.code !== 0) throw new Error(`cosign-sign failed:\n${r.stderr}`);
}

beforeAll(async () => {
  const docker = await freshDockerConfig('helm-deploy-gates');
  const cosignEnv = {
    ...loopbackOnly,
    COSIGN_PASSWORD: PASSWORD,
    TUF_ROOT: tmp('kubeline-hd-tuf-'),
    ...docker,
  };
  keys = tmp('kubeline-hd-keys-');
  otherKeys = tmp('kubeline-hd-other-');
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: keys });
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: otherKeys });
  const tag = unique();
  signed = await buildAndPush(busyboxContext(`signed-${tag}`), [`${name}:signed-${tag}`], docker);
  unsigned = await buildAndPush(busyboxContext(`unsigned-${tag}`), [`${name}:unsigned-${tag}`], docker);
  vulnerable = await buildAndPush(
    join(repoRoot, 'test/fixtures/vuln-image'),
    [`${name}:vuln-${tag}`],
    docker,
  );
  // --recursive: the index buildx pushed and its platform manifest, which is what a node pulls.
  // Signed with cosign 2 (.sig tags): the gate's cosign 3 must verify what the other major wrote.
  await run(
    [
      stackTool('cosign2'),
      'sign',
      '--yes',
      '--recursive',
      '--key',
      join(keys, 'cosign.key'),
      '--tlog-upload=false',
      `${name}@${signed}`,
    ],
    cosignEnv,
  );
  cleanReport = await trivyReport(`${name}@${signed}`);
  vulnReport = await trivyReport(`${name}@${vulnerable}`);
  attested = await buildAndPush(busyboxContext(`attested-${tag}`), [`${name}:attested-${tag}`], docker);
  const attestedReport = await trivyReport(`${name}@${attested}`);
  await signWithAction(`${name}@${attested}`, { 'INPUT_VULN-REPORT': attestedReport });

  const loggedIn = await freshDockerConfig('helm-deploy-gates-auth');
  await run(
    ['docker', 'login', '--username', env.AUTH_REGISTRY_USER, '--password-stdin', env.AUTH_REGISTRY],
    loggedIn,
    { input: env.AUTH_REGISTRY_PASSWORD },
  );
  privateDigest = await buildAndPush(
    busyboxContext(`private-${tag}`),
    [`${privateName}:private-${tag}`],
    loggedIn,
  );
  await signWithAction(`${privateName}@${privateDigest}`, {
    DOCKER_CONFIG: tmp('kubeline-hd-nologin-'),
    'INPUT_REGISTRY-USERNAME': env.AUTH_REGISTRY_USER,
    'INPUT_REGISTRY-PASSWORD': env.AUTH_REGISTRY_PASSWORD,
    'INPUT_REGISTRY-CA': env.AUTH_REGISTRY_CA,
  });
}, 300_000);

describe.each(MAJORS)('Helm %i', (major) => {
  const ns = useTestNamespace(`hdg${major}`);
  const gate = () => ({
    'require-signature': 'true',
    'signature-key': join(keys, 'cosign.pub'),
    'signature-transparency-log': 'false',
  });

  test('a signed image, scanned clean, deploys by digest; the summary lists both gates', async () => {
    const r = await deploy(
      major,
      {
        release: 'web',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${signed}`,
        'require-scan': cleanReport,
        ...gate(),
      },
      loopbackOnly,
    );
    succeeded(r);
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${name}@${signed}`);
    expect(r.summary).toMatch(/signature gate: 2 digest\(s\) verified with key cosign\.pub/);
    expect(r.summary).toContain(`scan gate: ${cleanReport} scanned ${signed} with no CRITICAL finding`);
  });

  test('an unsigned image, or one signed by another key, is refused before anything is applied', async () => {
    succeeded(await deploy(major, { release: 'web', chart: WEB_CHART, namespace: ns.name }, loopbackOnly));
    const before = await history(major, 'web', ns.name);

    const r = await deploy(
      major,
      { release: 'web', chart: WEB_CHART, namespace: ns.name, image: `${name}@${unsigned}`, ...gate() },
      { ...loopbackOnly, KUBELINE_DEBUG: '1' },
    );
    expect(failedOneLine(r)).toBe(
      `error: helm-deploy: require-signature: ${name}@${unsigned} is not signed by key cosign.pub: no signature found; nothing was deployed`,
    );
    // helm had started ahead of the lock; it was killed at its gate, before applying
    expect(r.stderr).toContain('helm started ahead not let through: a check failed');
    const other = await deploy(
      major,
      {
        release: 'web',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${signed}`,
        ...gate(),
        'signature-key': join(otherKeys, 'cosign.pub'),
      },
      loopbackOnly,
    );
    expect(failedOneLine(other)).toMatch(
      new RegExp(
        `^error: helm-deploy: require-signature: ${name}@${signed} is not signed by key cosign\\.pub: .+; nothing was deployed$`,
      ),
    );
    expect(await history(major, 'web', ns.name)).toEqual(before);
  });

  test('require-scan: attestation — the signer’s vuln attestation is the evidence; without one, refused', async () => {
    const r = await deploy(
      major,
      {
        release: 'attested',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${attested}`,
        'require-scan': 'attestation',
        ...gate(),
        // as PEM text, as a CI variable holds it: both gates read the one key file of this run
        'signature-key': readFileSync(join(keys, 'cosign.pub'), 'utf8'),
      },
      loopbackOnly,
    );
    succeeded(r);
    expect(r.summary).toContain(
      `scan gate: the vuln attestation scanned ${attested} with no CRITICAL finding`,
    );
    // signed (by cosign 2), but nobody attested a scan of it
    const bare = await deploy(
      major,
      {
        release: 'attested',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${signed}`,
        'require-scan': 'attestation',
        ...gate(),
      },
      loopbackOnly,
    );
    expect(failedOneLine(bare)).toMatch(
      new RegExp(
        `^error: helm-deploy: require-scan: no vuln attestation of ${name}@${signed} verifies with key cosign\\.pub: .+; nothing was deployed$`,
      ),
    );
    // the attestation is trusted only as far as the signature is
    const unsignedGate = await deploy(
      major,
      {
        release: 'attested',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${attested}`,
        'require-scan': 'attestation',
      },
      loopbackOnly,
    );
    expect(failedOneLine(unsignedGate)).toMatch(
      /^error: helm-deploy: input "require-scan": "attestation" is not valid; the attestation is trusted like the signature/,
    );
  });

  test('a private registry: the gate reads the signature with registry-username/password/ca; without them, one line', async () => {
    const r = await deploy(
      major,
      {
        release: 'private',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${privateName}@${privateDigest}`,
        'registry-username': env.AUTH_REGISTRY_USER,
        'registry-password': env.AUTH_REGISTRY_PASSWORD,
        'registry-ca': env.AUTH_REGISTRY_CA,
        ...gate(),
      },
      { ...loopbackOnly, DOCKER_CONFIG: tmp('kubeline-hd-nologin-') },
    );
    succeeded(r);
    expect(r.summary).toMatch(/signature gate: \d digest\(s\) verified with key cosign\.pub/);
    expect(r.stdout + r.stderr + r.summary).not.toContain(env.AUTH_REGISTRY_PASSWORD);
    const anonymous = await deploy(
      major,
      {
        release: 'private',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${privateName}@${privateDigest}`,
        'registry-ca': env.AUTH_REGISTRY_CA,
        ...gate(),
      },
      { ...loopbackOnly, DOCKER_CONFIG: tmp('kubeline-hd-nologin-') },
    );
    expect(failedOneLine(anonymous)).toMatch(
      new RegExp(
        `^error: helm-deploy: registry ${env.AUTH_REGISTRY.replace(/[.]/g, '\\.')} needs credentials`,
      ),
    );
  });

  test('a private registry through docker credHelpers: kubeline and cosign ask the helper, as docker does', async () => {
    const helperDir = tmp('kubeline-hd-helper-');
    const asked = join(helperDir, 'asked');
    // A real credential helper speaking docker's protocol (what ECR/GCR/ACR helpers do, offline).
    writeFileSync(
      join(helperDir, 'docker-credential-kubeline-test'),
      `#!/bin/sh\nread server\necho "$1 $server" >> ${asked}\n[ "$server" = "${env.AUTH_REGISTRY}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"${env.AUTH_REGISTRY_USER}","Secret":"${env.AUTH_REGISTRY_PASSWORD}"}' "$server"\n`,
      { mode: 0o755 },
    );
    const dockerConfig = tmp('kubeline-hd-credhelpers-');
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ credHelpers: { [env.AUTH_REGISTRY]: 'kubeline-test' } }),
    );
    const r = await deploy(
      major,
      {
        release: 'helper',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${privateName}@${privateDigest}`,
        'registry-ca': env.AUTH_REGISTRY_CA,
        ...gate(),
      },
      { ...loopbackOnly, DOCKER_CONFIG: dockerConfig, PATH: `${helperDir}:${process.env.PATH}` },
    );
    succeeded(r);
    expect(readFileSync(asked, 'utf8')).toContain(`get ${env.AUTH_REGISTRY}`);
    expect(r.stdout + r.stderr + r.summary).not.toContain(env.AUTH_REGISTRY_PASSWORD);
  });

  test('require-scan refuses a report with CRITICAL findings, a report of another digest, and a bare passed output', async () => {
    const vuln = await deploy(
      major,
      {
        release: 'scanned',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${vulnerable}`,
        'require-scan': vulnReport,
      },
      loopbackOnly,
    );
    expect(failedOneLine(vuln)).toMatch(
      new RegExp(
        `^error: helm-deploy: require-scan: the scan of ${name}@${vulnerable} has 1 finding\\(s\\) of severity CRITICAL: CVE-2099-\\d+$`,
      ),
    );
    const elsewhere = await deploy(
      major,
      {
        release: 'scanned',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${signed}`,
        'require-scan': vulnReport,
      },
      loopbackOnly,
    );
    expect(failedOneLine(elsewhere)).toContain(`is a scan of ${vulnerable}, not of ${name}@${signed}`);
    const failed = await deploy(
      major,
      {
        release: 'scanned',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${signed}`,
        'require-scan': 'false',
      },
      loopbackOnly,
    );
    expect(failedOneLine(failed)).toMatch(
      /^error: helm-deploy: input "require-scan": "false" is not valid; trivy-scan's passed output names no digest/,
    );
    // the gate follows scan-fail-on: with HIGH alone, the CRITICAL finding does not count, the 2 HIGH do
    const high = await deploy(
      major,
      {
        release: 'scanned',
        chart: WEB_CHART,
        namespace: ns.name,
        image: `${name}@${vulnerable}`,
        'require-scan': vulnReport,
        'scan-fail-on': 'HIGH',
      },
      loopbackOnly,
    );
    expect(failedOneLine(high)).toMatch(/has 2 finding\(s\) of severity HIGH/);
    expect(await history(major, 'scanned', ns.name)).toEqual([]);
  });
});
