// The npm package end to end: packed from this checkout, published to the stack's real npm registry
// (Verdaccio on loopback), installed lockfile-free with `npx --yes` in an empty directory as a GitLab
// component job does, and an action run from it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../stack/paths.js';
import { runProcess, type Ran } from '../support/processes.js';
import {
  must,
  npmEnv,
  packageJson,
  packageSpec,
  packCheckout,
  publishedIntegrity,
  publishPackage,
  registryToken,
  writeNpmrc,
  type Packed,
} from './harness/npm-package.js';
import { scratchDir as tmp, removeScratch } from './harness/scratch.js';
import { loadStackEnv } from './harness/stack-env.js';

const env = loadStackEnv();
const actions = readdirSync(join(repoRoot, 'actions')).sort();

let packed: Packed;
let token: string;
let userconfig: string;
let publishRuns: Ran[];

/** `npx --yes <package> …` in a fresh empty directory with a fresh npm cache: nothing local helps. */
async function npx(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const cwd = tmp('kubeline-npx-');
  return runProcess('npx', ['--yes', packageSpec, ...args], { ...npmEnv(userconfig), ...extra }, cwd);
}

beforeAll(async () => {
  packed = await packCheckout();
  token = await registryToken();
  userconfig = writeNpmrc(tmp('kubeline-npmrc-'), token);
  publishRuns = await publishPackage(packed, userconfig);
}, 180_000);

afterAll(removeScratch);

describe(`npm package ${packageSpec}`, () => {
  test('ships the CLI, every action’s metadata and bundle, the GitLab templates — no sources, tests or dev files', () => {
    expect(packed.files).toContain('bin/kubeline.js');
    for (const action of actions) {
      expect(packed.files).toContain(`actions/${action}/action.yml`);
      expect(packed.files).toContain(`actions/${action}/dist/index.js`);
      expect(packed.files).toContain(`templates/${action}.yml`);
    }
    expect(packed.files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']),
    );
    const dev = packed.files.filter((f) =>
      /(^|\/)(src|test|bench|scripts|node_modules|\.stack|\.github)\/|\.ts$|(^|\/)tsconfig|jest\.|eslint/.test(
        f,
      ),
    );
    expect(dev).toEqual([]);
    // the bundles carry their dependencies: installing the package downloads nothing else
    expect(Object.keys(packageJson.dependencies ?? {})).toEqual([]);
  });

  test('publish: the registry serves exactly the packed tarball; the npmrc is 0600; the token is never printed', async () => {
    expect(await publishedIntegrity(packageSpec, userconfig)).toBe(packed.integrity);
    expect(statSync(userconfig).mode & 0o777).toBe(0o600);
    for (const run of publishRuns) {
      expect(run.stdout + run.stderr).not.toContain(token);
      expect(run.stdout + run.stderr).not.toContain(env.NPM_REGISTRY_PASSWORD!);
    }
    // and the registry really requires the login: an anonymous install is refused
    const anonymous = await runProcess(
      'npm',
      ['view', packageSpec, 'version'],
      npmEnv(writeNpmrc(tmp('kubeline-npmrc-anon-'), 'not-a-token')),
      tmp('kubeline-npm-anon-'),
    );
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/E401|E403|401|403/);
  });

  test('npx --yes in an empty directory (no package.json, no lockfile) lists every action', async () => {
    const r = must(await npx(['--help']), 'npx --help');
    for (const action of actions) expect(r.stdout).toMatch(new RegExp(`^  ${action} `, 'm'));
  });

  test('an action runs from the installed package: setup-tools installs sha256-verified tools from the mirror', async () => {
    const toolCache = tmp('kubeline-npx-tools-');
    const r = must(
      await npx(['setup-tools', '--helm', '3', '--kubectl', 'default', '--mirror', env.TOOLS_MIRROR], {
        KUBELINE_PLATFORM: 'cli',
        KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
        RUNNER_TOOL_CACHE: toolCache,
        RUNNER_TEMP: tmp('kubeline-npx-temp-'),
      }),
      'npx setup-tools',
    );
    const outputs = JSON.parse(r.stdout) as Record<string, string>;
    expect(outputs['helm-version']).toMatch(/^3\.\d+\.\d+$/);
    expect(outputs['helm-path']!.startsWith(toolCache)).toBe(true);
    expect(existsSync(outputs['helm-path']!)).toBe(true);
    const helm = await runProcess(outputs['helm-path']!, ['version', '--short'], {});
    expect(helm.stdout).toContain(`v${outputs['helm-version']}`);
    expect(outputs['kubectl-path']!.startsWith(toolCache)).toBe(true);
  });

  test('a bad input from the installed CLI: exit 1, one error line naming the input, no stack trace', async () => {
    const r = await npx(['setup-tools', '--helm', '9.9.9'], {
      KUBELINE_PLATFORM: 'cli',
      RUNNER_TOOL_CACHE: tmp('kubeline-npx-tools-'),
      RUNNER_TEMP: tmp('kubeline-npx-temp-'),
    });
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/input "helm": "9\.9\.9"/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
