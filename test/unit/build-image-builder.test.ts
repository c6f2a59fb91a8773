// Which buildx builder build-image uses, against a fake `docker-buildx` script run as a real process:
// it answers inspect/ls like buildx 0.37 and logs every call, so the argv kubeline sends is checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, ToolError, UserError, createState, readInputs } from '@kubeline/runtime';
import { isTransientPushFailure } from '../../actions/build-image/src/buildah.js';
import { runCleanups } from '../../packages/runtime/src/cancel.js';
import { action } from '../../actions/build-image/src/action.generated.js';
import { inputSpec } from '../../actions/build-image/src/inputs.js';
import {
  CREATED_BUILDER_STATE,
  builderSource,
  buildxRunner,
  cacheType,
  chooseForCurrent,
  createArgs,
  createdBuilderName,
  dockerDriverShortfall,
  loadRefusal,
  parseInspect,
  parseLsNames,
  removeCreatedBuilder,
  selectBuilder,
  userBuildxConfig,
  type BuilderSource,
} from '../../actions/build-image/src/buildx-builder.js';
import { buildxArgs } from '../../actions/build-image/src/buildx-args.js';
import type { BuildRequest } from '../../actions/build-image/src/builder.js';
import { runTs } from '../support/processes.js';

const MAIN = path.join(import.meta.dirname, '..', '..', 'actions', 'build-image', 'src', 'main.ts');

const LS = [
  'NAME/NODE             DRIVER/ENDPOINT                 STATUS    BUILDKIT   PLATFORMS',
  'builder-3f2a*         docker-container',
  ' \\_ builder-3f2a0     \\_ unix:///var/run/docker.sock running   v0.23.0    linux/amd64',
  'default               docker',
  ' \\_ default           \\_ default                     running   v0.22.0    linux/amd64',
  '',
].join('\n');

const FAKE_BUILDX = `#!/bin/sh
echo "BUILDX_CONFIG=$BUILDX_CONFIG $*" >> "$FAKE_LOG"
case "$1" in
  inspect)
    if [ -n "$2" ]; then
      if [ "$2" = "$FAKE_KNOWN" ]; then printf 'Name:          %s\\nDriver:        %s\\n\\nNodes:\\nName: %s0\\n' "$2" "$FAKE_DRIVER" "$2"
      else echo "ERROR: no builder \\"$2\\" found" >&2; exit 1; fi
    else printf 'Name:          %s\\nDriver:        %s\\n\\nNodes:\\nName: %s0\\n' "$FAKE_CURRENT" "$FAKE_DRIVER" "$FAKE_CURRENT"; fi ;;
  ls) cat "$FAKE_LS" ;;
  create)
    if [ -n "$FAKE_CREATE_FAIL" ]; then echo "#1 booting buildkit" >&2; echo "#1 ERROR: $FAKE_CREATE_FAIL" >&2; exit 1; fi ;;
  rm) [ -n "$FAKE_RM_FAIL" ] && exit 1 ;;
esac
exit 0
`;

interface Fake {
  bin: string;
  dir: string;
  calls(): string[];
}

const FAKE_VARS = ['FAKE_LOG', 'FAKE_LS', 'FAKE_KNOWN', 'FAKE_DRIVER', 'FAKE_CURRENT', 'FAKE_CREATE_FAIL'];
const FAKE_VARS_ALL = [...FAKE_VARS, 'FAKE_RM_FAIL', 'KUBELINE_STATE_DIR'];

/** A fake buildx; its answers are set through FAKE_* variables (exec passes process.env on). */
function fakeBuildx(vars: { known?: string; driver?: string; current?: string; createFail?: string }): Fake {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bx-'));
  const bin = path.join(dir, 'docker-buildx');
  fs.writeFileSync(bin, FAKE_BUILDX, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'ls.txt'), LS);
  const log = path.join(dir, 'calls.log');
  Object.assign(process.env, {
    FAKE_LOG: log,
    FAKE_LS: path.join(dir, 'ls.txt'),
    FAKE_KNOWN: vars.known ?? '',
    FAKE_DRIVER: vars.driver ?? 'docker',
    FAKE_CURRENT: vars.current ?? 'default',
    FAKE_CREATE_FAIL: vars.createFail ?? '',
    KUBELINE_STATE_DIR: path.join(dir, 'state'),
  });
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
  return { bin, dir, calls };
}

afterEach(() => {
  for (const k of FAKE_VARS_ALL) delete process.env[k];
});

const cliState = (dir: string) =>
  createState('build-image', { KUBELINE_PLATFORM: 'cli', KUBELINE_STATE_DIR: path.join(dir, 'state') });

async function select(fake: Fake, source: BuilderSource, shortfall?: string, driverOpts: string[] = []) {
  return selectBuilder(buildxRunner(fake.bin), {
    source,
    ownConfig: path.join(fake.dir, 'own'),
    userConfig: path.join(fake.dir, 'user'),
    shortfall,
    driverOpts,
    state: cliState(fake.dir),
  });
}

describe('where the builder comes from (inputs)', () => {
  const src = (buildkitHostInput: string, buildkitHostEnv: string, builderInput: string) =>
    builderSource({ buildkitHostInput, buildkitHostEnv, builderInput });

  it('buildx-builder names one; buildkit-host (input, then BUILDKIT_HOST) a remote; else the current', () => {
    expect(src('', '', 'builder-3f2a')).toEqual({ kind: 'named', name: 'builder-3f2a' });
    expect(src('', 'unix:///b.sock', 'builder-3f2a')).toEqual({ kind: 'named', name: 'builder-3f2a' });
    expect(src('tcp://127.0.0.1:1234', 'unix:///b.sock', '')).toEqual({
      kind: 'remote',
      endpoint: 'tcp://127.0.0.1:1234',
    });
    expect(src('', 'unix:///b.sock', '')).toEqual({ kind: 'remote', endpoint: 'unix:///b.sock' });
    expect(src('', '', '')).toEqual({ kind: 'current' });
  });

  it('buildkit-host and buildx-builder together: one line naming both', () => {
    expect(() => src('tcp://127.0.0.1:1234', '', 'b')).toThrow(UserError);
    expect(() => src('tcp://127.0.0.1:1234', '', 'b')).toThrow(
      /^inputs "buildkit-host" and "buildx-builder" cannot both be set: [^\n]+$/,
    );
  });

  it('load: one platform, buildx only', () => {
    expect(loadRefusal({ load: false, builder: 'buildah', platforms: ['a', 'b'] })).toBeUndefined();
    expect(loadRefusal({ load: true, builder: 'buildx', platforms: ['linux/amd64'] })).toBeUndefined();
    expect(loadRefusal({ load: true, builder: 'buildx', platforms: [] })).toBeUndefined();
    expect(loadRefusal({ load: true, builder: 'buildx', platforms: ['linux/amd64', 'linux/arm64'] })).toBe(
      'input "load" loads one platform into the docker image store, but platforms has 2 (linux/amd64, linux/arm64); build one platform to load it, or set load: false',
    );
    expect(loadRefusal({ load: true, builder: 'buildah', platforms: [] })).toMatch(/needs builder buildx/);
  });
});

describe('what the docker driver cannot build', () => {
  it.each([
    [[], [], undefined],
    [['linux/amd64'], [], undefined],
    [['linux/amd64', 'linux/arm64'], [], 'several platforms (linux/amd64, linux/arm64)'],
    [[], ['type=inline'], undefined],
    [[], ['type=registry,ref=r/c:cache,mode=max'], 'cache-to type=registry'],
    [[], ['type=gha,mode=max'], 'cache-to type=gha'],
    [[], ['type=local,dest=/tmp/c'], 'cache-to type=local'],
    [[], ['ghcr.io/acme/web:cache'], 'cache-to type=registry'],
    [[], ['type=inline', 'mode=max,type=s3,region=x'], 'cache-to type=s3'],
  ])('platforms %j, cache-to %j → %s', (platforms, cacheTo, want) => {
    expect(dockerDriverShortfall({ platforms, cacheTo })).toBe(want);
  });

  it('reads the type wherever it stands in the spec', () => {
    expect(cacheType('mode=max,type=gha')).toBe('gha');
    expect(cacheType('ref=x,mode=max')).toBe('registry');
  });

  it('decision table for the current builder', () => {
    const docker = { name: 'default', driver: 'docker' };
    expect(chooseForCurrent(docker, undefined)).toEqual({
      action: 'use',
      why: 'the current builder (docker driver; the build needs no more)',
    });
    expect(chooseForCurrent(docker, 'cache-to type=gha')).toEqual({
      action: 'create',
      why: 'the current builder "default" uses the docker driver, which cannot build cache-to type=gha',
    });
    for (const driver of ['docker-container', 'remote', 'kubernetes'])
      expect(chooseForCurrent({ name: 'b', driver }, 'several platforms (a, b)')).toEqual({
        action: 'use',
        why: `the current builder (driver ${driver})`,
      });
  });
});

describe('buildx output parsing', () => {
  it('inspect: the builder, not its node', () => {
    expect(parseInspect('Name:   b1\nDriver: docker-container\n\nNodes:\nName: b10\n')).toEqual({
      name: 'b1',
      driver: 'docker-container',
    });
    expect(parseInspect('garbage')).toBeUndefined();
  });

  it('ls: builder names without nodes or the current-marker', () => {
    expect(parseLsNames(LS)).toEqual(['builder-3f2a', 'default']);
  });

  it('created names are unique per run and valid builder names', () => {
    const a = createdBuilderName();
    expect(a).toMatch(/^kubeline-[0-9a-f]{8}$/);
    expect(createdBuilderName()).not.toBe(a);
  });

  it('the user config is where buildx looks for it', () => {
    expect(userBuildxConfig({ BUILDX_CONFIG: '/x', DOCKER_CONFIG: '/d' })).toBe('/x');
    expect(userBuildxConfig({ DOCKER_CONFIG: '/d' })).toBe('/d/buildx');
    expect(userBuildxConfig({})).toBe(path.join(os.homedir(), '.docker', 'buildx'));
  });
});

describe('buildx-driver-opts and buildx-builder inputs', () => {
  const read = (env: Record<string, string>) => readInputs(action, inputSpec, env);

  it('one option per line or comma; blank lines and comments dropped', () => {
    const got = read({
      'INPUT_BUILDX-DRIVER-OPTS': 'network=host\n# pinned\n\nimage=moby/buildkit:v0.23.0,env.X=1\n',
    });
    expect(got['buildx-driver-opts']).toEqual(['network=host', 'image=moby/buildkit:v0.23.0', 'env.X=1']);
    expect(createArgs('kubeline-ab12cd34', got['buildx-driver-opts'])).toEqual([
      'create',
      '--name',
      'kubeline-ab12cd34',
      '--driver',
      'docker-container',
      '--driver-opt',
      'network=host',
      '--driver-opt',
      'image=moby/buildkit:v0.23.0',
      '--driver-opt',
      'env.X=1',
      '--bootstrap',
    ]);
  });

  it.each(['network', '=host', 'network=', 'net work=host', 'image=a b'])('malformed option %j', (opt) => {
    expect(() => read({ 'INPUT_BUILDX-DRIVER-OPTS': opt })).toThrow(InputError);
    expect(() => read({ 'INPUT_BUILDX-DRIVER-OPTS': opt })).toThrow(
      /^input "buildx-driver-opts": .*key=value/,
    );
  });

  it('defaults: no builder named, no options, load off', () => {
    const got = read({});
    expect(got['buildx-builder']).toBe('');
    expect(got['buildx-driver-opts']).toEqual([]);
    expect(got.load).toBe(false);
  });

  it('a builder name with a space or flag syntax is refused', () => {
    expect(() => read({ 'INPUT_BUILDX-BUILDER': '--help' })).toThrow(/input "buildx-builder"/);
    expect(() => read({ 'INPUT_BUILDX-BUILDER': 'a b' })).toThrow(InputError);
  });
});

describe('load adds a docker output next to the image one', () => {
  const req = (push: BuildRequest['push']): BuildRequest =>
    ({
      context: '/ctx',
      dockerfile: '/ctx/Dockerfile',
      targets: [
        { registry: 'r.io', repository: 'acme/web', tag: 'v1' },
        { registry: 'r.io', repository: 'acme/web', tag: 'sha-1' },
      ],
      labels: new Map(),
      buildArgs: new Map(),
      secrets: new Map(),
      platforms: [],
      cacheFrom: [],
      cacheTo: [],
      target: '',
      provenance: 'false',
      sbom: 'false',
      pull: false,
      noCache: false,
      push,
      load: true,
      workDir: '/w',
      timeoutMs: 1000,
    }) as BuildRequest;
  const base = { builder: 'b', metadataFile: 'm', iidFile: 'i', gatedFlags: [], cacheTo: [] };

  it('named by every tag, even when the push goes by digest', () => {
    const args = buildxArgs(req('digest'), { ...base, load: true });
    const outputs = args.flatMap((a, i) => (args[i - 1] === '--output' ? [a] : []));
    expect(outputs).toEqual([
      'type=image,name=r.io/acme/web,push-by-digest=true,name-canonical=true,push=true',
      'type=docker,"name=r.io/acme/web:v1,r.io/acme/web:sha-1"',
    ]);
    expect(args.at(-1)).toBe('/ctx');
  });

  it('not asked (or the docker driver): one output only', () => {
    const args = buildxArgs(req('tags'), { ...base, load: false });
    expect(args.filter((a) => a === '--output')).toHaveLength(1);
  });
});

describe('choosing the builder (fake buildx, real processes)', () => {
  it('a named builder is inspected in the user config and used as is', async () => {
    const fake = fakeBuildx({ known: 'builder-3f2a', driver: 'docker-container' });
    const chosen = await select(fake, { kind: 'named', name: 'builder-3f2a' }, 'several platforms (a, b)');
    expect(chosen).toEqual({
      name: 'builder-3f2a',
      driver: 'docker-container',
      env: { BUILDX_CONFIG: path.join(fake.dir, 'user') },
      why: 'named by input buildx-builder',
      warning: undefined,
    });
    expect(fake.calls()).toEqual([`BUILDX_CONFIG=${path.join(fake.dir, 'user')} inspect builder-3f2a`]);
  });

  it('an unknown builder: one line naming the input, the value and what buildx ls has', async () => {
    const fake = fakeBuildx({ known: 'other' });
    const err = await select(fake, { kind: 'named', name: 'typo' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'input "buildx-builder": "typo" is not valid; no such buildx builder; `docker buildx ls` has builder-3f2a, default',
    );
  });

  it('a named docker-driver builder that cannot do the build is used, with a warning', async () => {
    const fake = fakeBuildx({ known: 'default', driver: 'docker' });
    const chosen = await select(fake, { kind: 'named', name: 'default' }, 'cache-to type=gha');
    expect(chosen.warning).toBe(
      'builder default uses the docker driver, which cannot build cache-to type=gha',
    );
  });

  it('the current docker-container builder (setup-buildx-action) is used, nothing created', async () => {
    const fake = fakeBuildx({ current: 'builder-3f2a', driver: 'docker-container' });
    const chosen = await select(fake, { kind: 'current' }, 'several platforms (a, b)');
    expect(chosen.name).toBe('builder-3f2a');
    expect(fake.calls()).toEqual([`BUILDX_CONFIG=${path.join(fake.dir, 'user')} inspect`]);
    expect(cliState(fake.dir).get(CREATED_BUILDER_STATE)).toBeUndefined();
  });

  it('the current docker driver, single platform, inline cache: used as is', async () => {
    const fake = fakeBuildx({ current: 'default', driver: 'docker' });
    const chosen = await select(fake, { kind: 'current' }, undefined);
    expect(chosen).toMatchObject({ name: 'default', driver: 'docker' });
    expect(fake.calls()).toHaveLength(1);
  });

  it('the current docker driver with two platforms: a docker-container builder is made, then removed by post', async () => {
    const fake = fakeBuildx({ current: 'default', driver: 'docker' });
    const own = path.join(fake.dir, 'own');
    const chosen = await select(fake, { kind: 'current' }, 'several platforms (a, b)', ['network=host']);
    expect(chosen.name).toMatch(/^kubeline-[0-9a-f]{8}$/);
    expect(chosen).toMatchObject({ driver: 'docker-container', env: { BUILDX_CONFIG: own } });
    expect(chosen.why).toBe(
      'the current builder "default" uses the docker driver, which cannot build several platforms (a, b); created for this build, removed in the post step',
    );
    expect(fake.calls()[1]).toBe(
      `BUILDX_CONFIG=${own} create --name ${chosen.name} --driver docker-container --driver-opt network=host --bootstrap`,
    );

    const lines: string[] = [];
    const log = {
      info: (l: string) => lines.push(`info ${l}`),
      warning: (l: string) => lines.push(`warn ${l}`),
    };
    await removeCreatedBuilder(cliState(fake.dir), log);
    expect(fake.calls().at(-1)).toBe(`BUILDX_CONFIG=${own} rm ${chosen.name}`);
    expect(lines).toEqual([`info removed buildx builder ${chosen.name}`]);
  });

  it('a builder that cannot start: one line with buildx error, and the half-made builder is removed', async () => {
    const fake = fakeBuildx({ current: 'default', driver: 'docker', createFail: 'unable to apply caps' });
    const err = await select(fake, { kind: 'current' }, 'cache-to type=gha').catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'could not start a docker-container buildx builder: ERROR: unable to apply caps; name a working builder with buildx-builder, or set buildkit-host',
    );
    expect(fake.calls().at(-1)).toMatch(/ rm kubeline-[0-9a-f]{8}$/);
  });

  it('a cancelled job removes the created builder at once (the SIGTERM path)', async () => {
    const fake = fakeBuildx({ current: 'default', driver: 'docker' });
    const chosen = await select(fake, { kind: 'current' }, 'several platforms (a, b)');
    const before = fake.calls().length;
    await runCleanups(() => undefined);
    expect(fake.calls().slice(before)).toContain(
      `BUILDX_CONFIG=${path.join(fake.dir, 'own')} rm ${chosen.name}`,
    );
  });

  it('post: nothing created, nothing run; a builder that will not go is a warning naming the command', async () => {
    const fake = fakeBuildx({});
    const lines: string[] = [];
    const log = { info: (l: string) => lines.push(l), warning: (l: string) => lines.push(`warn ${l}`) };
    await removeCreatedBuilder(cliState(fake.dir), log);
    expect(fake.calls()).toEqual([]);

    cliState(fake.dir).set(
      CREATED_BUILDER_STATE,
      JSON.stringify({ name: 'builder-3f2a', buildxConfig: '/own', bin: fake.bin }),
    );
    process.env.FAKE_RM_FAIL = '1';
    await removeCreatedBuilder(cliState(fake.dir), log);
    expect(lines).toEqual([
      'warn could not remove buildx builder builder-3f2a; remove it with: docker buildx rm builder-3f2a',
    ]);
  });
});

describe('input errors of the action itself: one line, exit 1, no stack', () => {
  const runMain = async (inputs: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bi-in-'));
    const env = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
    const r = await runTs(MAIN, { RUNNER_TEMP: dir, KUBELINE_PLATFORM: 'cli', ...env });
    return { ...r, errors: r.stderr.split('\n').filter((l) => l.startsWith('error:')) };
  };

  it.each([
    [
      { 'buildkit-host': 'tcp://127.0.0.1:1234', 'buildx-builder': 'b' },
      'error: build-image: inputs "buildkit-host" and "buildx-builder" cannot both be set',
    ],
    [
      { load: 'true', platforms: 'linux/amd64,linux/arm64' },
      'error: build-image: input "load" loads one platform',
    ],
    [
      { 'buildx-driver-opts': 'network' },
      'error: build-image: input "buildx-driver-opts": "network" is not valid',
    ],
  ])('%j', async (inputs, start) => {
    const r = await runMain(inputs);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.startsWith(start)).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('buildah push retries', () => {
  const failed = (stderr: string) =>
    new ToolError('buildah', 125, stderr, 'buildah failed with exit code 125');

  it('retries what the registry got wrong for the moment, not what the build or the login got wrong', () => {
    const transient = [
      'writing manifest: uploading manifest t1 to 127.0.0.1:5000/app: received unexpected HTTP status: 503 Service Unavailable',
      'Head "http://127.0.0.1:5000/v2/app/blobs/sha256:ab": EOF',
      'read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer',
      'received unexpected HTTP status: 429 Too Many Requests',
    ];
    for (const stderr of transient) expect(isTransientPushFailure(failed(stderr))).toBe(true);
    const lasting = [
      'authentication required',
      'received unexpected HTTP status: 401 Unauthorized',
      'denied: requested access to the resource is denied',
    ];
    for (const stderr of lasting) expect(isTransientPushFailure(failed(stderr))).toBe(false);
    expect(isTransientPushFailure(new Error('status: 503'))).toBe(false); // not a buildah failure
  });
});
