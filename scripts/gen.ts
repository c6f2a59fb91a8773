// Writes what is derived from each action.yml: src/action.generated.ts (typed metadata the runtime
// reads) and the input/output tables in the action's README. `--check` fails when they drift.
import fs from 'node:fs';
import path from 'node:path';
import { loadActionYaml, type ActionMeta } from '../packages/runtime/src/action-meta.js';
import { ROOT, actionNames } from './actions.js';
import { gitlabComponent, type JobImageRelease } from './gitlab-component.js';
import { catalogSection, withCatalog } from './gitlab-catalog.js';
import type { InputParser } from '../packages/runtime/src/inputs.js';

const BEGIN = '<!-- kubeline:generated:begin -->';
const END = '<!-- kubeline:generated:end -->';

export function generatedSource(meta: ActionMeta): string {
  return [
    '// Generated from action.yml by `npm run gen`; do not edit.',
    `export const action = ${JSON.stringify(meta, null, 2)} as const;`,
    '',
    'export type InputName = keyof typeof action.inputs;',
    'export type OutputName = keyof typeof action.outputs;',
    '',
  ].join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function readmeTables(meta: ActionMeta): string {
  const inputs = Object.entries(meta.inputs).map(
    ([k, v]) =>
      `| \`${k}\` | ${v.required ? 'yes' : 'no'} | ${v.default ? `\`${v.default}\`` : ''} | ${cell(v.description)} |`,
  );
  const outputs = Object.entries(meta.outputs).map(([k, v]) => `| \`${k}\` | ${cell(v.description)} |`);
  return [
    BEGIN,
    '### Inputs',
    '',
    '| name | required | default | description |',
    '| --- | --- | --- | --- |',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| name | description |',
    '| --- | --- |',
    ...outputs,
    END,
  ].join('\n');
}

function withTables(readme: string, tables: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < 0) return `${readme.trimEnd()}\n\n${tables}\n`;
  return readme.slice(0, a) + tables + readme.slice(b + END.length);
}

async function inputParsers(name: string): Promise<Record<string, InputParser<unknown>>> {
  const mod = (await import(path.join(ROOT, 'actions', name, 'src', 'inputs.ts'))) as {
    inputSpec: Record<string, InputParser<unknown>>;
  };
  return mod.inputSpec;
}

/** The job image the components default to: release/job-image.json, written by the release workflow. */
export function jobImageRelease(): JobImageRelease {
  const release = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'release', 'job-image.json'), 'utf8'),
  ) as JobImageRelease;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  if (release.version !== pkg.version)
    throw new Error(
      `release/job-image.json: version ${release.version} is not package.json's ${pkg.version}`,
    );
  return release;
}

export async function expectedFiles(name: string): Promise<Record<string, string>> {
  const dir = path.join(ROOT, 'actions', name);
  const meta = loadActionYaml(path.join(dir, 'action.yml'), name);
  const readmePath = path.join(dir, 'README.md');
  const readme = fs.existsSync(readmePath)
    ? fs.readFileSync(readmePath, 'utf8')
    : `# ${name}\n\n${meta.description}\n`;
  return {
    [path.join(dir, 'src', 'action.generated.ts')]: generatedSource(meta),
    [readmePath]: withTables(readme, readmeTables(meta)),
    [path.join(ROOT, 'templates', `${name}.yml`)]: gitlabComponent(
      meta,
      await inputParsers(name),
      jobImageRelease(),
    ),
  };
}

/** The root README's CI/CD Catalog section: GitLab's catalog shows the project README. */
export function expectedCatalog(): Record<string, string> {
  const file = path.join(ROOT, 'README.md');
  const metas = actionNames().map((name) =>
    loadActionYaml(path.join(ROOT, 'actions', name, 'action.yml'), name),
  );
  return { [file]: withCatalog(fs.readFileSync(file, 'utf8'), catalogSection(metas, jobImageRelease())) };
}

async function main(check: boolean): Promise<number> {
  const stale: string[] = [];
  const files = [...(await Promise.all(actionNames().map(expectedFiles))), expectedCatalog()];
  for (const expected of files) {
    for (const [file, text] of Object.entries(expected)) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      if (current === text) continue;
      if (check) stale.push(path.relative(ROOT, file));
      else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
      }
    }
  }
  if (stale.length) console.error(`generated files are stale (run npm run gen): ${stale.join(', ')}`);
  return stale.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`)
  process.exit(await main(process.argv.includes('--check')));
