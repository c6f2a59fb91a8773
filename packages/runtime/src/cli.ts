// The `kubeline` command: `kubeline <action> [post] [--<input> value ...]`, `kubeline <action> --help`.
// Inputs and outputs come from each action.yml through the runtime's own metadata reader; the
// action's committed bundle then runs in this process with its inputs set as on GitHub.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadActionYaml, type ActionMeta } from './action-meta.js';

class CliError extends Error {}

function actionNames(actionsDir: string): string[] {
  return fs
    .readdirSync(actionsDir)
    .filter((d) => fs.existsSync(path.join(actionsDir, d, 'action.yml')))
    .sort();
}

function loadAction(actionsDir: string, name: string): ActionMeta {
  const names = actionNames(actionsDir);
  if (!names.includes(name))
    throw new CliError(`unknown action ${JSON.stringify(name)}; actions: ${names.join(', ')}`);
  return loadActionYaml(path.join(actionsDir, name, 'action.yml'), name);
}

function usage(actionsDir: string): string {
  const lines = [
    'usage: kubeline <action> [post] [--<input> <value> ...]',
    '       kubeline <action> --help',
    '',
    'actions:',
  ];
  for (const name of actionNames(actionsDir))
    lines.push(`  ${name.padEnd(16)} ${loadAction(actionsDir, name).description.split('. ')[0]!.trim()}`);
  return lines.join('\n') + '\n';
}

function help(meta: ActionMeta): string {
  const lines = [`kubeline ${meta.name}: ${meta.description}`, '', 'inputs:'];
  for (const [k, v] of Object.entries(meta.inputs)) {
    const extra = [v.required ? 'required' : '', v.default ? `default: ${v.default}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  --${k}${extra ? ` (${extra})` : ''}`, `      ${v.description.replace(/\s*\n\s*/g, ' ')}`);
  }
  lines.push('', 'outputs (printed as JSON on stdout):');
  for (const [k, v] of Object.entries(meta.outputs)) lines.push(`  ${k}: ${v.description}`);
  return lines.join('\n') + '\n';
}

/** --name value, --name=value; repeating a flag appends a line (list inputs); a bare flag means true. */
export function parseFlags(args: string[], declared: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--'))
      throw new CliError(`unexpected argument ${JSON.stringify(arg)}; inputs are given as --<name> <value>`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!declared.includes(name))
      throw new CliError(`unknown input --${name}; inputs: ${declared.map((d) => `--${d}`).join(', ')}`);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i]!;
    else value = 'true';
    values.set(name, values.has(name) ? `${values.get(name)}\n${value}` : value);
  }
  return values;
}

async function runCommand(actionsDir: string, argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(actionsDir));
    process.exitCode = name ? 0 : 1;
    return;
  }
  const meta = loadAction(actionsDir, name);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(help(meta));
    return;
  }
  const post = rest[0] === 'post';
  const flags = parseFlags(post ? rest.slice(1) : rest, Object.keys(meta.inputs));
  for (const [k, v] of flags) process.env[`INPUT_${k.toUpperCase()}`] = v;
  if (post) process.env.KUBELINE_PHASE = 'post';
  const bundle = pathToFileURL(path.join(actionsDir, name, 'dist', 'index.js')).href;
  // Loaded at run time, not bundled into the CLI: webpack must leave this import alone.
  await import(/* webpackIgnore: true */ bundle);
}

/** A mistake on the command line is one line and exit 1. */
export async function runCli(actionsDir: string, argv: string[]): Promise<void> {
  try {
    await runCommand(actionsDir, argv);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    process.stderr.write(`error: kubeline: ${e.message}\n`);
    process.exitCode = 1;
  }
}
