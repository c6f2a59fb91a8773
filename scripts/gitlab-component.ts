// Derives a GitLab CI/CD component (templates/<action>.yml) from an action's action.yml and the
// types of its input parsers, so the same inputs, defaults and docs hold on both platforms.
import YAML from 'yaml';
import type { ActionMeta } from '../packages/runtime/src/action-meta.js';
import type { InputParser } from '../packages/runtime/src/inputs.js';

type SpecInput = {
  type?: 'boolean' | 'number';
  default: string | boolean | number;
  description: string;
  options?: string[];
};

export const KUBELINE_VERSION = '0.1.0';

/** GitLab report artifacts an action writes (under kubeline-outputs/), so GitLab's widgets read them. */
const GITLAB_REPORTS: Record<string, Record<string, string>> = {
  'trivy-scan': {
    container_scanning: 'kubeline-outputs/trivy-scan/gl-container-scanning-report.json',
    cyclonedx: 'kubeline-outputs/trivy-scan/trivy-report.cdx.json',
  },
};

function specInput(decl: ActionMeta['inputs'][string], parser: InputParser<unknown> | undefined): SpecInput {
  const description = decl.description.replace(/\s+/g, ' ').trim();
  const def = decl.default ?? '';
  if (parser?.type === 'boolean') return { type: 'boolean', default: def === 'true', description };
  if (parser?.type === 'number' && def !== '') return { type: 'number', default: Number(def), description };
  const options = parser && / \| /.test(parser.type) ? parser.type.split(' | ') : undefined;
  return { default: def, description, ...(options ? { options } : {}) };
}

/**
 * Inputs reach the job as `INPUT_*` variables — interpolated into YAML values, never into script
 * lines, so an input can not inject shell. The CLI runs the action's bundle with them.
 */
export function gitlabComponent(meta: ActionMeta, parsers: Record<string, InputParser<unknown>>): string {
  const job = `kubeline-${meta.name}`;
  const inputs: Record<string, SpecInput | { default: string; description: string }> = {
    // `job-` prefixed so they never clash with an action's own inputs (several take an `image`).
    'job-name': { default: job, description: 'Name of the job this component adds.' },
    'job-stage': { default: 'deploy', description: 'Stage of the job.' },
    'job-image': {
      default: 'node:24-bookworm-slim',
      description: 'Job image; it needs Node 24 (and the tools the action runs, or network to fetch them).',
    },
    'kubeline-cli': {
      default: `npx --yes kubeline@${KUBELINE_VERSION}`,
      description:
        'How the job starts the kubeline CLI; pin a version. Also settable as the KUBELINE_CLI variable.',
    },
  };
  const variables: Record<string, string> = {};
  for (const [name, decl] of Object.entries(meta.inputs)) {
    if (name in inputs) throw new Error(`actions/${meta.name}: input ${name} clashes with a component input`);
    inputs[name] = specInput(decl, parsers[name]);
    variables[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = `$[[ inputs.${name} ]]`;
  }
  variables.KUBELINE_CLI = '$[[ inputs.kubeline-cli ]]';
  variables.KUBELINE_DOTENV = `kubeline-${meta.name}.env`;
  const body: Record<string, unknown> = {
    stage: '$[[ inputs.job-stage ]]',
    image: '$[[ inputs.job-image ]]',
    variables,
    script: [`$KUBELINE_CLI ${meta.name}`],
    ...(meta.post ? { after_script: [`$KUBELINE_CLI ${meta.name} post`] } : {}),
    artifacts: {
      when: 'always',
      reports: { dotenv: `kubeline-${meta.name}.env`, ...GITLAB_REPORTS[meta.name] },
      paths: ['kubeline-outputs/', `kubeline-${meta.name}-summary.md`],
    },
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
