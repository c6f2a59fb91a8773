#!/usr/bin/env node
// kubeline <action> [post] [--<input> value ...] | kubeline <action> --help | kubeline --help
// Runs an action's committed bundle with the same inputs it takes on GitHub, in this process.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';

const ACTIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'actions');

function fail(message) {
  process.stderr.write(`error: kubeline: ${message}\n`);
  process.exit(1);
}

function actionNames() {
  return fs
    .readdirSync(ACTIONS)
    .filter((d) => fs.existsSync(path.join(ACTIONS, d, 'action.yml')))
    .sort();
}

function loadAction(name) {
  const file = path.join(ACTIONS, name, 'action.yml');
  if (!actionNames().includes(name))
    fail(`unknown action ${JSON.stringify(name)}; actions: ${actionNames().join(', ')}`);
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

function usage() {
  const lines = [
    'usage: kubeline <action> [post] [--<input> <value> ...]',
    '       kubeline <action> --help',
    '',
    'actions:',
  ];
  for (const name of actionNames())
    lines.push(
      `  ${name.padEnd(16)} ${String(loadAction(name).description ?? '')
        .split('. ')[0]
        .trim()}`,
    );
  return lines.join('\n') + '\n';
}

function help(name, doc) {
  const lines = [`kubeline ${name}: ${String(doc.description ?? '').trim()}`, '', 'inputs:'];
  for (const [k, v] of Object.entries(doc.inputs ?? {})) {
    const extra = [v.required ? 'required' : '', v.default ? `default: ${v.default}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  --${k}${extra ? ` (${extra})` : ''}`,
      `      ${String(v.description ?? '')
        .trim()
        .replace(/\s*\n\s*/g, ' ')}`,
    );
  }
  lines.push('', 'outputs (printed as JSON on stdout):');
  for (const [k, v] of Object.entries(doc.outputs ?? {}))
    lines.push(`  ${k}: ${String(v.description ?? '').trim()}`);
  return lines.join('\n') + '\n';
}

/** --name value, --name=value; repeating a flag appends a line (list inputs); a bare flag means true. */
function parseFlags(args, declared) {
  const values = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--'))
      fail(`unexpected argument ${JSON.stringify(arg)}; inputs are given as --<name> <value>`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!declared.includes(name))
      fail(`unknown input --${name}; inputs: ${declared.map((d) => `--${d}`).join(', ')}`);
    let value;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) value = args[++i];
    else value = 'true';
    values.set(name, values.has(name) ? `${values.get(name)}\n${value}` : value);
  }
  return values;
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) fail(`Node ${process.versions.node} is too old: kubeline needs Node 24 or newer`);

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(usage());
  process.exit(name ? 0 : 1);
}
const doc = loadAction(name);
if (rest.includes('--help') || rest.includes('-h')) {
  process.stdout.write(help(name, doc));
  process.exit(0);
}
const post = rest[0] === 'post';
const flags = parseFlags(post ? rest.slice(1) : rest, Object.keys(doc.inputs ?? {}));
for (const [k, v] of flags) process.env[`INPUT_${k.toUpperCase()}`] = v;
if (post) process.env.KUBELINE_PHASE = 'post';
await import(pathToFileURL(path.join(ACTIONS, name, doc.runs?.main ?? 'dist/index.js')).href);
