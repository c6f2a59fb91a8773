// The CI/CD Catalog section of the root README (GitLab's catalog shows the project's README.md): per
// component, how to include it, its required inputs, the job keys it sets and the outputs it hands on.
import type { ActionMeta } from '../packages/runtime/src/action-meta.js';
import { COMPONENT_PROFILES, NAMES, jobImageRef, type JobImageRelease } from './gitlab-component.js';

const BEGIN = '<!-- kubeline:catalog:begin -->';
const END = '<!-- kubeline:catalog:end -->';

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const dotenvKey = (action: string, output: string) =>
  `${action}_${output}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

function jobKeys(name: string): string[] {
  const p = COMPONENT_PROFILES[name]!;
  const keys = [`stage \`${p.stage}\``];
  if (p.environment)
    keys.push('`environment:` and `resource_group:` from the `environment` input (`production`)');
  if (p.sigstoreIdToken) keys.push('`id_tokens: SIGSTORE_ID_TOKEN` (aud `sigstore`) for `keyless: true`');
  if (p.reports)
    keys.push(
      `reports ${Object.values(p.reports.produced)
        .map((r) => `\`${r.report}\``)
        .join(', ')} (from the default \`${p.reports.input}\`)`,
    );
  return keys;
}

function componentEntry(meta: ActionMeta, version: string): string {
  const required = Object.entries(meta.inputs).filter(([, d]) => d.required);
  const include = [
    '```yaml',
    'include:',
    `  - component: ${NAMES.gitlab}/${meta.name}@${version}${required.length ? '' : ' # every input has a default'}`,
    ...(required.length ? ['    inputs:', ...required.map(([k]) => `      ${k}: …`)] : []),
    '```',
  ];
  const outputs = Object.keys(meta.outputs).map((o) => `\`${dotenvKey(meta.name, o)}\``);
  return [
    `### \`${meta.name}\``,
    '',
    oneLine(meta.description),
    '',
    ...include,
    '',
    `- Required inputs: ${required.length ? required.map(([k]) => `\`${k}\``).join(', ') : 'none'}; all inputs: [actions/${meta.name}](actions/${meta.name}/README.md).`,
    `- Job: ${jobKeys(meta.name).join('; ')}.`,
    `- Outputs (dotenv report, for later jobs): ${outputs.join(', ')}.`,
  ].join('\n');
}

export function catalogSection(metas: ActionMeta[], release: JobImageRelease): string {
  const image = jobImageRef(release);
  const pinned = release.digest
    ? `pinned by digest: \`${image}\``
    : `\`${image}\` — by tag until the first release pins its digest here`;
  return [
    BEGIN,
    `Every component adds one job (named by the \`job-name\` input) that runs in the kubeline image, ${pinned}. Common inputs: \`job-name\`, \`stage\`, \`job-image\` and \`kubeline-cli\` (\`kubeline\`; with an image of your own that has Node 24, \`npx --yes ${NAMES.npm}@${release.version}\`). Inputs are typed: booleans and numbers as YAML values, lists as YAML arrays (\`formats: [json, gitlab]\`), choices from \`options\`; a required input left out stops the pipeline before it starts.`,
    '',
    ...metas.map((m) => componentEntry(m, release.version)).flatMap((e) => [e, '']),
  ]
    .join('\n')
    .concat(END);
}

export function withCatalog(readme: string, section: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < 0) throw new Error(`README.md: no ${BEGIN} … ${END} block for the CI/CD Catalog section`);
  return readme.slice(0, a) + section + readme.slice(b + END.length);
}
