// Derives a GitLab CI/CD component (templates/<action>.yml) from an action's action.yml and the
// types of its input parsers, so the same inputs, defaults and docs hold on both platforms.
import YAML, { Scalar } from 'yaml';
import type { ActionMeta } from '../packages/runtime/src/action-meta.js';
import type { InputParser } from '../packages/runtime/src/inputs.js';

type SpecInput = {
  type?: 'boolean' | 'number' | 'array';
  default?: string | boolean | number | string[];
  description: string;
  options?: string[];
  regex?: string;
};

/** release/job-image.json: the kubeline image the components run in, pinned by digest once released. */
export interface JobImageRelease {
  image: string;
  version: string;
  digest: string | null;
}

/** Where the project lives on each platform and registry: one name everywhere. */
export const NAMES = {
  github: 'kubeline/kubeline',
  gitlab: 'gitlab.com/kubeline/kubeline',
  npm: '@kubeline/cli',
} as const;

export function jobImageRef(release: JobImageRelease): string {
  if (release.digest !== null && !/^sha256:[0-9a-f]{64}$/.test(release.digest))
    throw new Error(`release/job-image.json: digest ${release.digest} is not sha256:<64 hex>`);
  const tagged = `${release.image}:${release.version}`;
  return release.digest ? `${tagged}@${release.digest}` : tagged;
}

/**
 * What a component adds to its job beyond the action: the stage it sits in by default (one GitLab
 * has without a `stages:` list), an environment it deploys to, OIDC tokens, report artifacts.
 */
export interface ComponentProfile {
  stage: 'build' | 'test' | 'deploy';
  /** The job deploys: `environment:` and a `resource_group:` per environment; `url` names the output holding its URL. */
  environment?: { url?: string };
  /** Keyless signing: cosign reads SIGSTORE_ID_TOKEN, a GitLab ID token with audience sigstore. */
  sigstoreIdToken?: boolean;
  /** GitLab report artifacts, each declared for the `formats` item that produces it. */
  reports?: { input: string; produced: Record<string, { report: string; path: string }> };
  /** Defaults that differ on GitLab (so the declared reports are produced by default). */
  defaults?: Record<string, string>;
  /**
   * A folder the action keeps between runs (`input` names it), saved by GitLab's `cache:` under
   * `key`: every job starts in a fresh container, and GitLab only caches paths inside the project.
   */
  cache?: { input: string; dir: string; key: string };
}

const DEPLOY_ENVIRONMENT = 'production';

export const COMPONENT_PROFILES: Record<string, ComponentProfile> = {
  'setup-tools': { stage: 'build' },
  'build-image': { stage: 'build' },
  'trivy-scan': {
    stage: 'test',
    reports: {
      input: 'formats',
      produced: {
        gitlab: {
          report: 'container_scanning',
          path: 'kubeline-outputs/trivy-scan/gl-container-scanning-report.json',
        },
        cyclonedx: { report: 'cyclonedx', path: 'kubeline-outputs/trivy-scan/trivy-report.cdx.json' },
      },
    },
    defaults: { formats: 'json, cyclonedx, gitlab', 'cache-dir': '.kubeline-cache/trivy' },
    // the vulnerability DB: downloaded once, then only when stale (trivy-scan checks its age)
    cache: {
      input: 'cache-dir',
      dir: '.kubeline-cache/trivy',
      key: 'kubeline-trivy-$[[ inputs.trivy-version ]]',
    },
  },
  'cosign-sign': { stage: 'test', sigstoreIdToken: true },
  'helm-deploy': { stage: 'deploy', environment: { url: 'environment-url' } },
  'canary-promote': { stage: 'deploy', environment: {} },
  'gitops-promote': { stage: 'deploy', environment: {} },
  rollback: { stage: 'deploy', environment: {} },
};

/** A value holding a CI/CD variable is checked when the job runs: GitLab checks the text before expanding it. */
const WITH_VARIABLE = '.*\\$.*';
const DURATION = '[0-9]+(\\.[0-9]+)?|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+';

/** `regex:` for parser types whose rule is a pattern (RE2 syntax: GitLab runs it untrusted). */
const TYPE_PATTERNS: Record<string, string> = {
  'duration (e.g. 90s, 5m)': DURATION,
  'duration (e.g. 90s, 5m), or off': `off|${DURATION}`,
  'number, or off': 'off|[0-9]+(\\.[0-9]+)?',
};

/**
 * `regex:` for string inputs the action checks against a pattern of its own, restated in RE2 (no
 * lookahead: lengths become bounded repeats). test/unit/gitlab-spec.test.ts holds each to its parser.
 */
export const INPUT_PATTERNS: Record<string, Record<string, string>> = {
  'helm-deploy': { release: '[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?' },
  'canary-promote': { deployment: '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?' },
  rollback: {
    release: '[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?',
    to: 'previous|last-good|[1-9][0-9]*',
  },
};

const anchored = (body: string) => `^(${body}|${WITH_VARIABLE})$`;

/** The action's comma/newline list default as a YAML list. */
function listDefault(text: string): string[] {
  return text
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

export function specInput(
  action: string,
  name: string,
  decl: ActionMeta['inputs'][string],
  parser: InputParser<unknown> | undefined,
  gitlabDefault?: string,
): SpecInput {
  const description = decl.description.replace(/\s+/g, ' ').trim();
  // A required input has no default: GitLab refuses a pipeline that leaves it out.
  const def = decl.required ? undefined : (gitlabDefault ?? decl.default ?? '');
  const type = parser?.type ?? 'string';
  if (type === 'boolean')
    return { type: 'boolean', ...(def === undefined ? {} : { default: def === 'true' }), description };
  if (type === 'number' && def !== '')
    return { type: 'number', ...(def === undefined ? {} : { default: Number(def) }), description };
  if (type.startsWith('list'))
    return { type: 'array', ...(def === undefined ? {} : { default: listDefault(def) }), description };
  const spec: SpecInput = { ...(def === undefined ? {} : { default: def }), description };
  if (/ \| /.test(type)) spec.options = type.split(' | ');
  const pattern = INPUT_PATTERNS[action]?.[name] ?? TYPE_PATTERNS[type];
  // An empty default is left without a regex: GitLab matches the default too, and some versions
  // fail an empty string whatever the pattern.
  if (pattern && def !== '') spec.regex = anchored(pattern);
  return spec;
}

/**
 * A list reaches the job as its JSON text, which the runtime reads as the list: the leading space
 * keeps GitLab from putting the array itself where a variable needs a string, and single quotes keep
 * the YAML valid whether GitLab interpolates the parsed value or the text.
 */
function listVariable(name: string): Scalar {
  const value = new Scalar(` $[[ inputs.${name} ]]`);
  value.type = 'QUOTE_SINGLE';
  return value;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const envName = (input: string) => `INPUT_${input.toUpperCase().replace(/-/g, '_')}`;
const dotenvKey = (action: string, output: string) =>
  `${action}_${output}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * Inputs reach the job as `INPUT_*` variables — interpolated into YAML values, never into script
 * lines, so an input can not inject shell. The CLI runs the action's bundle with them.
 */
export function gitlabComponent(
  meta: ActionMeta,
  parsers: Record<string, InputParser<unknown>>,
  release: JobImageRelease,
): string {
  const profile = COMPONENT_PROFILES[meta.name];
  if (!profile)
    throw new Error(`actions/${meta.name}: no GitLab component profile in scripts/gitlab-component.ts`);
  const job = `kubeline-${meta.name}`;
  const inputs: Record<string, SpecInput> = {
    // `job-` prefixed so they never clash with an action's own inputs (several take an `image`).
    'job-name': { default: job, description: 'Name of the job this component adds.' },
    stage: { default: profile.stage, description: 'Stage of the job.' },
    'job-image': {
      default: jobImageRef(release),
      description:
        'Image the job runs in: the kubeline image of this release (Node 24, the CLI, the pinned tools). Your own image needs Node 24 and `kubeline-cli` set to npx.',
    },
    'kubeline-cli': {
      default: 'kubeline',
      description: `How the job starts the kubeline CLI: \`kubeline\` in the kubeline image; in an image of your own with Node 24, \`npx --yes ${NAMES.npm}@${release.version}\`.`,
    },
  };
  const variables: Record<string, string | Scalar> = {};
  for (const [name, decl] of Object.entries(meta.inputs)) {
    if (name in inputs) throw new Error(`actions/${meta.name}: input ${name} clashes with a component input`);
    inputs[name] = specInput(meta.name, name, decl, parsers[name], profile.defaults?.[name]);
    if (profile.reports?.input === name) inputs[name].description += ` ${reportsNote(profile.reports)}`;
    if (profile.cache?.input === name) inputs[name].description = cacheNote(profile.cache);
    variables[envName(name)] = inputs[name].type === 'array' ? listVariable(name) : `$[[ inputs.${name} ]]`;
  }
  const body: Record<string, unknown> = { stage: '$[[ inputs.stage ]]', image: '$[[ inputs.job-image ]]' };
  if (profile.environment) {
    const own = meta.inputs.environment;
    const forAction = own
      ? ` The action reads it too: ${oneLine(own.description).replace(/ ?Default:[^.]*\./, '')}`
      : '';
    inputs.environment = {
      default: DEPLOY_ENVIRONMENT,
      description: `The GitLab environment the job deploys to, and its resource group: two jobs never deploy to one environment at once.${forAction}`,
    };
    const url = profile.environment.url;
    body.environment = {
      name: '$[[ inputs.environment ]]',
      // Set from the job's own dotenv report once it has run.
      ...(url ? { url: `$${dotenvKey(meta.name, url)}` } : {}),
    };
    body.resource_group = '$[[ inputs.environment ]]';
  }
  if (profile.sigstoreIdToken) body.id_tokens = { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } };
  if (profile.cache)
    body.cache = {
      key: profile.cache.key,
      paths: [`$[[ inputs.${profile.cache.input} ]]`],
      when: 'always', // a DB fetched by a job that then failed its gate is as good as any
    };
  variables.KUBELINE_CLI = '$[[ inputs.kubeline-cli ]]';
  variables.KUBELINE_DOTENV = `kubeline-${meta.name}.env`;
  body.variables = variables;
  body.script = [`$KUBELINE_CLI ${meta.name}`];
  if (meta.post) body.after_script = [`$KUBELINE_CLI ${meta.name} post`];
  body.artifacts = {
    when: 'always',
    reports: { dotenv: `kubeline-${meta.name}.env`, ...declaredReports(profile, inputs) },
    paths: ['kubeline-outputs/', `kubeline-${meta.name}-summary.md`],
  };
  const header = [
    `# Generated from actions/${meta.name}/action.yml by \`npm run gen\`; do not edit.`,
    `# ${meta.description.replace(/\s+/g, ' ')}`,
    `# Outputs (dotenv, prefixed ${meta.name.toUpperCase().replace(/-/g, '_')}_): ${Object.keys(meta.outputs).join(', ')}`,
  ].join('\n');
  const spec = YAML.stringify({ spec: { inputs } }, { lineWidth: 0 });
  const jobs = YAML.stringify({ '$[[ inputs.job-name ]]': body }, { lineWidth: 0 });
  return `${header}\n${spec}---\n${jobs}`;
}

function cacheNote(cache: NonNullable<ComponentProfile['cache']>): string {
  return `trivy's cache folder (DB and layer analysis), relative to the project: GitLab's \`cache:\` (key \`${cache.key.replace('$[[ inputs.trivy-version ]]', '<trivy-version>')}\`) keeps it between jobs, so the DB is downloaded only when stale; a folder outside the project is not cached. Default: \`${cache.dir}\`.`;
}

function reportsNote(reports: NonNullable<ComponentProfile['reports']>): string {
  const each = Object.entries(reports.produced).map(([format, r]) => `\`${r.report}\` from \`${format}\``);
  return `On GitLab the job declares the report artifacts ${each.join(' and ')}: a format left out of the list leaves its report missing.`;
}

/** A report is declared only when the default of its formats input produces it. */
function declaredReports(
  profile: ComponentProfile,
  inputs: Record<string, SpecInput>,
): Record<string, string> {
  if (!profile.reports) return {};
  const formats = inputs[profile.reports.input]?.default;
  const produced = Array.isArray(formats) ? formats : [];
  const out: Record<string, string> = {};
  for (const [format, { report, path }] of Object.entries(profile.reports.produced))
    if (produced.includes(format)) out[report] = path;
  return out;
}
