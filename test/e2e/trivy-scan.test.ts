// trivy-scan's committed bundle against the real stack: the vuln fixture image built with buildx and
// pushed to the local registries, the real trivy (installed sha256-verified from the stack's tool
// mirror) and the small real DB served from the local registry. Expected findings:
// test/fixtures/vuln-image/expected.json.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../stack/paths.js';
import { buildAndPush, repositoryOf } from './harness/images.js';
import { loadStackEnv } from './harness/stack-env.js';
import { freshDockerConfig, run } from './harness/tools.js';
import { NODE, runBundle, runProcess, type Ran } from '../support/processes.js';

const env = loadStackEnv();
const unique = () => randomBytes(4).toString('hex');
const fixtureDir = join(repoRoot, 'test/fixtures/vuln-image');
const expected = JSON.parse(readFileSync(join(fixtureDir, 'expected.json'), 'utf8')) as {
  vulnerabilities: Array<{ id: string; pkg: string; installed: string; fixed: string; severity: string }>;
  severityCounts: { all: Record<string, number>; ignoreUnfixed: Record<string, number> };
};
const counts = (c: Record<string, number>) => ({
  critical: String(c.CRITICAL ?? 0),
  high: String(c.HIGH ?? 0),
  medium: String(c.MEDIUM ?? 0),
  low: String(c.LOW ?? 0),
  unknown: String(c.UNKNOWN ?? 0),
});
// Anything trivy or kubeline sends past loopback goes to a dead proxy and fails.
const loopbackOnly = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};
const unreachableDb = '127.0.0.1:9/nowhere/trivy-db:2';

/** One job's environment: its own temp dir and tool cache (trivy + DB cache live there). */
function job(toolCache = mkdtempSync(join(tmpdir(), 'kubeline-trivy-tc-'))): Record<string, string> {
  return {
    ...loopbackOnly,
    RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'kubeline-trivy-rt-')),
    RUNNER_TOOL_CACHE: toolCache,
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR ?? '',
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST ?? '',
    KUBELINE_RETRY_BASE_MS: '50',
    INPUT_DB_REPOSITORY: env.TRIVY_DB_REPOSITORY,
  };
}

const outputs = (r: Ran) => JSON.parse(r.stdout) as Record<string, string>;
const errorLines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));
const json = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

let vulnRef: string; // by tag: the action must resolve it
let vulnDigest: string;
let authRef: string;
let warmCache: string;

beforeAll(async () => {
  const docker = await freshDockerConfig('trivy-scan');
  await run(
    ['docker', 'login', '--username', env.AUTH_REGISTRY_USER, '--password-stdin', env.AUTH_REGISTRY],
    docker,
    {
      input: env.AUTH_REGISTRY_PASSWORD,
    },
  );
  const tag = `t-${unique()}`;
  vulnRef = `${env.REGISTRY}/e2e/trivy-vuln:${tag}`;
  authRef = `${env.AUTH_REGISTRY}/e2e/trivy-vuln:${tag}`;
  vulnDigest = await buildAndPush(fixtureDir, [vulnRef, authRef], docker);
  warmCache = mkdtempSync(join(tmpdir(), 'kubeline-trivy-tc-'));
});

describe('trivy-scan on the vuln fixture image', () => {
  let first: Ran;
  let out: Record<string, string>;

  beforeAll(async () => {
    first = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: vulnRef,
      INPUT_FORMATS: 'json, sarif, cyclonedx, gitlab',
    });
    out = outputs(first);
  });

  test('the gate fails on CRITICAL with one line, after every output is written', () => {
    expect(first.code).toBe(1);
    expect(errorLines(first)).toEqual(['error: trivy-scan: 1 finding at or above CRITICAL: CVE-2099-0001']);
    expect(out).toEqual(
      expect.objectContaining({
        ...counts(expected.severityCounts.all),
        passed: 'false',
        'image-digest': vulnDigest,
      }),
    );
  });

  test('the tag was resolved once and trivy scanned name@digest; the DB came from the local registry', () => {
    const pinned = `${repositoryOf(vulnRef)}@${vulnDigest}`;
    expect(first.stderr).toContain(`resolved ${vulnRef} to ${vulnDigest}`);
    expect(first.stderr).toContain(`--image-src remote ${pinned}`);
    expect(first.stderr).toContain(`downloading from ${env.TRIVY_DB_REPOSITORY}`);
    expect(json<{ ArtifactName: string }>(out['json-report']!).ArtifactName).toBe(pinned);
  });

  test('the JSON report holds every finding of expected.json, whatever the gate', () => {
    type Vuln = {
      VulnerabilityID: string;
      PkgName: string;
      InstalledVersion: string;
      FixedVersion?: string;
      Severity: string;
    };
    const report = json<{ Results: Array<{ Vulnerabilities?: Vuln[] }> }>(out['json-report']!);
    const found = report.Results.flatMap((r) => r.Vulnerabilities ?? []);
    expect(
      found
        .map((v) => [v.VulnerabilityID, v.PkgName, v.InstalledVersion, v.FixedVersion ?? '', v.Severity])
        .sort(),
    ).toEqual(expected.vulnerabilities.map((v) => [v.id, v.pkg, v.installed, v.fixed, v.severity]).sort());
  });

  test('SARIF, CycloneDX and GitLab reports are converted from that one run and are valid', () => {
    const sarif = json<{
      version: string;
      runs: Array<{ tool: { driver: { name: string } }; results: Array<{ ruleId: string }> }>;
    }>(out['sarif-report']!);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.tool.driver.name).toBe('Trivy');
    expect(sarif.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual(
      expected.vulnerabilities.map((v) => v.id).sort(),
    );

    const cdx = json<{
      bomFormat: string;
      components: Array<{ name: string }>;
      vulnerabilities: Array<{ id: string }>;
    }>(out['cyclonedx-report']!);
    expect(cdx.bomFormat).toBe('CycloneDX');
    expect(cdx.components.map((c) => c.name)).toEqual(
      expect.arrayContaining(['fixture-ssl', 'fixture-requests']),
    );
    expect(cdx.vulnerabilities.map((v) => v.id).sort()).toEqual(
      expected.vulnerabilities.map((v) => v.id).sort(),
    );

    type GitLabVuln = {
      id: string;
      severity: string;
      identifiers: Array<{ type: string; name: string; value: string }>;
      location: {
        dependency: { package: { name: string }; version: string };
        operating_system: string;
        image: string;
      };
    };
    const gitlab = json<{ version: string; scan: Record<string, unknown>; vulnerabilities: GitLabVuln[] }>(
      out['gitlab-report']!,
    );
    expect(gitlab.version).toMatch(/^15\.\d+\.\d+$/);
    for (const key of ['analyzer', 'scanner', 'start_time', 'end_time', 'status', 'type'])
      expect(gitlab.scan).toHaveProperty(key);
    expect(gitlab.scan.type).toBe('container_scanning');
    expect(gitlab.vulnerabilities).toHaveLength(expected.vulnerabilities.length);
    for (const v of gitlab.vulnerabilities) {
      expect(v.id).not.toBe('');
      expect(v.identifiers[0]).toEqual(
        expect.objectContaining({ type: 'cve', name: expect.stringMatching(/^CVE-2099-/) }),
      );
      expect(v.location.dependency.package.name).toMatch(/^fixture-/);
      expect(v.location.image).toBe(`${repositoryOf(vulnRef)}@${vulnDigest}`);
      expect(['Critical', 'High', 'Medium', 'Low', 'Unknown']).toContain(v.severity);
    }
  });

  test('a second scan in the same job downloads nothing: the only DB mirror given is unreachable', async () => {
    const again = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: vulnRef,
      INPUT_DB_REPOSITORY: unreachableDb,
      INPUT_FAIL_ON: 'none',
    });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/trivy DB: cached in .*; no download/);
    expect(again.stderr).not.toMatch(/Downloading vulnerability DB|downloading from/);
    expect(outputs(again)).toEqual(
      expect.objectContaining({ ...counts(expected.severityCounts.all), passed: 'true' }),
    );
  });
});

describe('choosing what fails the gate', () => {
  const scan = (inputs: Record<string, string>) =>
    runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: `${repositoryOf(vulnRef)}@${vulnDigest}`,
      ...inputs,
    });

  test('fail-on HIGH,CRITICAL versus fail-on-cvss', async () => {
    const severities = await scan({ INPUT_FAIL_ON: 'HIGH,CRITICAL' });
    expect(errorLines(severities)).toEqual([
      'error: trivy-scan: 3 findings at or above HIGH: CVE-2099-0001, CVE-2099-0006, CVE-2099-0002',
    ]);
    const cvss = await scan({ INPUT_FAIL_ON: 'none', INPUT_FAIL_ON_CVSS: '8.0' });
    expect(errorLines(cvss)).toEqual([
      'error: trivy-scan: 2 findings with CVSS v3 ≥ 8.0: CVE-2099-0001, CVE-2099-0006',
    ]);
    const above = await scan({ INPUT_FAIL_ON: 'none', INPUT_FAIL_ON_CVSS: '9.9' });
    expect(above.code).toBe(0);
    expect(outputs(above).passed).toBe('true');
  });

  test('ignore-unfixed changes the counts as expected.json says', async () => {
    const r = await scan({ INPUT_IGNORE_UNFIXED: 'true', INPUT_FAIL_ON: 'none' });
    expect(r.code).toBe(0);
    expect(outputs(r)).toEqual(expect.objectContaining(counts(expected.severityCounts.ignoreUnfixed)));
  });

  test("the workspace's .trivyignore drops an id; ignore-file takes a .trivyignore.yaml", async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'kubeline-ws-'));
    writeFileSync(join(workspace, '.trivyignore'), '# accepted risk, fix tracked elsewhere\nCVE-2099-0001\n');
    const plain = await scan({ GITHUB_WORKSPACE: workspace });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain(`suppressing the findings listed in ${join(workspace, '.trivyignore')}`);
    expect(outputs(plain)).toEqual(expect.objectContaining({ critical: '0', high: '2', passed: 'true' }));

    const yaml = join(workspace, 'ignore.trivyignore.yaml');
    writeFileSync(yaml, 'vulnerabilities:\n  - id: CVE-2099-0002\n    statement: fixture\n');
    const fromYaml = await scan({ INPUT_IGNORE_FILE: yaml, INPUT_FAIL_ON: 'HIGH' });
    expect(errorLines(fromYaml)).toEqual(['error: trivy-scan: 1 finding of severity HIGH: CVE-2099-0006']);
    expect(outputs(fromYaml)).toEqual(expect.objectContaining({ critical: '1', high: '1' }));
  });

  test("build-image's image-json is taken as is, by digest", async () => {
    const contract = {
      name: repositoryOf(vulnRef),
      digest: vulnDigest,
      ref: `${repositoryOf(vulnRef)}@${vulnDigest}`,
      tags: [vulnRef.split(':').pop()],
      platforms: [],
      pushed: true,
      labels: {},
    };
    const r = await scan({ INPUT_IMAGE: JSON.stringify(contract), INPUT_FAIL_ON: 'none' });
    expect(r.code).toBe(0);
    expect(outputs(r)['image-digest']).toBe(vulnDigest);
    expect(r.stderr).not.toContain('resolved ');
  });
});

describe('an image already pinned by digest', () => {
  // trivy starts at once and the registry is asked beside it; when the image is not there, the
  // registry's one line is the error, not trivy's.
  test('a digest the repository does not hold: one line from the registry check, exit 1', async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    const name = repositoryOf(vulnRef);
    const r = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: `${name}@${missing}`,
      INPUT_FAIL_ON: 'none',
    });
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([
      `error: trivy-scan: input "image": ${name}@${missing} does not resolve: digest ${missing} is not in ${name}`,
    ]);
  });
});

describe('private registries', () => {
  test('registry-username/password/ca scan the TLS, password-protected copy; the password is never printed', async () => {
    const r = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: authRef,
      INPUT_REGISTRY_USERNAME: env.AUTH_REGISTRY_USER,
      INPUT_REGISTRY_PASSWORD: env.AUTH_REGISTRY_PASSWORD,
      INPUT_REGISTRY_CA: env.AUTH_REGISTRY_CA,
      INPUT_FAIL_ON: 'none',
    });
    expect(r.code).toBe(0);
    expect(outputs(r)).toEqual(expect.objectContaining({ critical: '1', 'image-digest': vulnDigest }));
    expect(r.stdout + r.stderr).not.toContain(env.AUTH_REGISTRY_PASSWORD);
  });

  // By digest, trivy starts before the registry answers: the registry's line still wins.
  test.each([
    ['a tag', () => authRef],
    ['a digest', () => `${repositoryOf(authRef)}@${vulnDigest}`],
  ])('a wrong password with %s is one clear line', async (_by, image) => {
    const r = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_IMAGE: image(),
      INPUT_REGISTRY_USERNAME: env.AUTH_REGISTRY_USER,
      INPUT_REGISTRY_PASSWORD: 'wrong-password',
      INPUT_REGISTRY_CA: env.AUTH_REGISTRY_CA,
    });
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([
      `error: trivy-scan: registry ${env.AUTH_REGISTRY} refused the credentials for ${image()} (HTTP 401)`,
    ]);
    expect(r.stdout + r.stderr).not.toContain('wrong-password');
  });
});

describe('the vulnerability DB mirrors', () => {
  let limiter: http.Server;
  let limited: string;
  let hits = 0;

  beforeAll(async () => {
    // A mirror that answers every request the way ghcr.io does when rate limiting.
    limiter = http.createServer((_req, res) => {
      hits++;
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"retry later"}]}');
    });
    await new Promise<void>((resolve) => limiter.listen(0, '127.0.0.1', resolve));
    limited = `127.0.0.1:${(limiter.address() as AddressInfo).port}/aquasec/trivy-db:2`;
  });
  afterAll(() => new Promise<void>((resolve) => limiter.close(() => resolve())));

  test('a rate-limited mirror is retried, then the next one in the list serves the DB', async () => {
    const r = await runBundle('trivy-scan', {
      ...job(),
      KUBELINE_RETRY_ATTEMPTS: '3',
      INPUT_IMAGE: `${repositoryOf(vulnRef)}@${vulnDigest}`,
      INPUT_DB_REPOSITORY: `${limited}, ${env.TRIVY_DB_REPOSITORY}`,
      INPUT_FAIL_ON: 'none',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${limited} is rate limiting (attempt 2)`);
    expect(r.stderr).toContain(`downloading from ${env.TRIVY_DB_REPOSITORY}`);
    expect(hits).toBeGreaterThanOrEqual(3);
    expect(outputs(r).critical).toBe('1');
  });

  test('no cached DB and no reachable mirror: one line naming every mirror tried', async () => {
    const r = await runBundle('trivy-scan', {
      ...job(),
      INPUT_IMAGE: `${repositoryOf(vulnRef)}@${vulnDigest}`,
      INPUT_DB_REPOSITORY: `${unreachableDb}\n127.0.0.1:1/other/trivy-db:2`,
    });
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([
      'error: trivy-scan: no trivy vulnerability DB in the cache and none could be downloaded from db-repository: ' +
        `${unreachableDb} (connection refused); 127.0.0.1:1/other/trivy-db:2 (connection refused)`,
    ]);
  });
});

describe('bad input: exit 1 with one clear line, before anything is scanned', () => {
  test.each([
    [
      { INPUT_IMAGE: 'Not/A:Reference!' },
      'input "image": "Not/A:Reference!" is not valid; allowed: [registry/]repository[:tag][@sha256:<64 hex>], lowercase repository',
    ],
    [
      { INPUT_FAIL_ON: 'CRITICAL, SEVERE' },
      'input "fail-on": "CRITICAL, SEVERE" is not valid; allowed: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (a list), or none',
    ],
    [{ INPUT_FAIL_ON_CVSS: '11' }, 'input "fail-on-cvss": "11" is not valid; allowed: a number ≥ 0 ≤ 10'],
  ])('%j', async (inputs, message) => {
    const r = await runBundle('trivy-scan', { ...job(), INPUT_IMAGE: vulnRef, ...inputs });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: trivy-scan: ${message}\n`);
  });
});

describe('other sources and platforms', () => {
  test('an image tarball (`input`) is scanned without a registry', async () => {
    const trivydb = (
      await run(['bash', join(repoRoot, 'test/stack/trivydb/publish.sh'), '--print-bin'])
    ).stdout.trim();
    const tar = join(mkdtempSync(join(tmpdir(), 'kubeline-tar-')), 'vuln.tar');
    await run([trivydb, 'image', '--context', fixtureDir, '--out', tar]);
    const r = await runBundle('trivy-scan', { ...job(warmCache), INPUT_INPUT: tar, INPUT_FAIL_ON: 'none' });
    expect(r.code).toBe(0);
    expect(outputs(r)).toEqual(expect.objectContaining(counts(expected.severityCounts.all)));
    expect(outputs(r)).not.toHaveProperty('image-digest');
  });

  test('scan-type fs finds the same vulnerabilities; its CycloneDX SBOM scanned as scan-type sbom does too', async () => {
    const fsScan = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_SCAN_TYPE: 'fs',
      INPUT_PATH: fixtureDir,
      INPUT_FORMATS: 'cyclonedx',
      INPUT_FAIL_ON: 'none',
    });
    expect(fsScan.code).toBe(0);
    expect(outputs(fsScan)).toEqual(expect.objectContaining(counts(expected.severityCounts.all)));
    const sbom = await runBundle('trivy-scan', {
      ...job(warmCache),
      INPUT_SCAN_TYPE: 'sbom',
      INPUT_PATH: outputs(fsScan)['cyclonedx-report']!,
      INPUT_FAIL_ON: 'none',
    });
    expect(sbom.code).toBe(0);
    expect(outputs(sbom)).toEqual(expect.objectContaining(counts(expected.severityCounts.all)));
  });

  test("on GitLab the reports land in the job's directory and the outputs in the dotenv report", async () => {
    const project = mkdtempSync(join(tmpdir(), 'kubeline-project-'));
    // GitLab runs the job in the project dir; artifact paths are relative to it.
    const bundle = join(repoRoot, 'actions/trivy-scan/dist/index.js');
    const r = await runProcess(
      NODE,
      [bundle],
      {
        ...job(warmCache),
        GITLAB_CI: 'true',
        CI_PROJECT_DIR: project,
        INPUT_IMAGE: `${repositoryOf(vulnRef)}@${vulnDigest}`,
        INPUT_FORMATS: 'gitlab',
      },
      project,
    );
    expect(r.code).toBe(1);
    const dotenv = readFileSync(join(project, 'kubeline-trivy-scan.env'), 'utf8');
    expect(dotenv).toContain('TRIVY_SCAN_CRITICAL=1\n');
    expect(dotenv).toContain('TRIVY_SCAN_PASSED=false\n');
    // Relative to the job's directory (GitLab's project path differs between jobs), under the folder
    // the component keeps as artifacts.
    const report = 'kubeline-outputs/trivy-scan/gl-container-scanning-report.json';
    expect(dotenv).toContain(`TRIVY_SCAN_GITLAB_REPORT=${report}\n`);
    expect(json<{ vulnerabilities: unknown[] }>(join(project, report)).vulnerabilities).toHaveLength(6);
    expect(readFileSync(join(project, 'kubeline-trivy-scan-summary.md'), 'utf8')).toContain(
      '| CVE-2099-0001 | fixture-ssl | 3.1.0-r0 | 3.1.1-r0 | CRITICAL | 9.8 |',
    );
  });

  test('on GitLab the DB is kept in the project for the component’s `cache:`; an fs scan of the project skips it', async () => {
    const project = mkdtempSync(join(tmpdir(), 'kubeline-project-'));
    cpSync(fixtureDir, project, { recursive: true });
    const cacheDir = '.kubeline-cache/trivy'; // the component's default on GitLab
    // files in the cache folder are trivy's, not the project's: a lockfile there must not count
    const planted = join(project, cacheDir, 'planted', 'app');
    mkdirSync(planted, { recursive: true });
    cpSync(join(fixtureDir, 'app', 'requirements.txt'), join(planted, 'requirements.txt'));
    const scanProject = () =>
      runProcess(
        NODE,
        [join(repoRoot, 'actions/trivy-scan/dist/index.js')],
        {
          ...job(), // a fresh tool cache each time, as in a new job container
          GITLAB_CI: 'true',
          CI_PROJECT_DIR: project,
          INPUT_SCAN_TYPE: 'fs',
          INPUT_PATH: '.',
          INPUT_CACHE_DIR: cacheDir,
          INPUT_FORMATS: 'json',
          INPUT_FAIL_ON: 'none',
        },
        project,
      );
    const first = await scanProject();
    expect(first.code).toBe(0);
    expect(first.stderr + first.stdout).toMatch(/trivy DB: [^\n]*; downloading from /);
    expect(existsSync(join(project, cacheDir, 'db', 'metadata.json'))).toBe(true);
    const dotenv = readFileSync(join(project, 'kubeline-trivy-scan.env'), 'utf8');
    for (const [severity, n] of Object.entries(expected.severityCounts.all))
      expect(dotenv).toContain(`TRIVY_SCAN_${severity.toUpperCase()}=${n}\n`);
    const report = json<{ Results?: Array<{ Target: string }> }>(
      join(project, 'kubeline-outputs/trivy-scan/trivy-report.json'),
    );
    expect((report.Results ?? []).map((r) => r.Target).filter((t) => t.includes('kubeline-cache'))).toEqual(
      [],
    );
    const second = await scanProject(); // the next job, its cache restored
    expect(second.code).toBe(0);
    expect(second.stderr + second.stdout).toContain(`trivy DB: cached in ${join(project, cacheDir)}`);
  });
});

describe('scan-type config', () => {
  test('Dockerfile, Kubernetes and Helm findings become GitHub annotations at file:line', async () => {
    const base = job();
    const github = join(base.RUNNER_TEMP!, 'github');
    mkdirSync(github);
    // As a runner sets them; GITHUB_STATE too, now that trivy-scan has a post step.
    const files = {
      GITHUB_OUTPUT: join(github, 'output'),
      GITHUB_STATE: join(github, 'state'),
      GITHUB_STEP_SUMMARY: join(github, 'summary'),
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const r = await runBundle('trivy-scan', {
      ...base,
      ...files,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: repoRoot,
      INPUT_SCAN_TYPE: 'config',
      INPUT_PATH: join(repoRoot, 'test/fixtures/trivy-scan/config'),
      INPUT_DB_REPOSITORY: unreachableDb, // config scans need no vulnerability DB
    });
    expect(r.code).toBe(0);
    const dir = 'test/fixtures/trivy-scan/config';
    expect(r.stdout).toMatch(
      new RegExp(`^::warning file=${dir}/Dockerfile,line=5::DS-0002 \\(HIGH\\): Last USER command`, 'm'),
    );
    expect(r.stdout).toMatch(
      new RegExp(`^::warning file=${dir}/k8s/deployment.yaml,line=17::KSV-0017 \\(HIGH\\)`, 'm'),
    );
    expect(r.stdout).toMatch(
      new RegExp(`^::warning file=${dir}/chart/templates/pod.yaml,line=\\d+::KSV-0009 \\(HIGH\\)`, 'm'),
    );
    const written = readFileSync(files.GITHUB_OUTPUT, 'utf8');
    expect(written).toMatch(/^passed<<ghadelimiter_[\w-]+\ntrue\n/m);
    expect(written).toMatch(/^high<<ghadelimiter_[\w-]+\n[1-9]\d*\n/m);
    expect(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')).toContain(
      '| DS-0002 | test/fixtures/trivy-scan/config/Dockerfile:5 |',
    );
  });
});
