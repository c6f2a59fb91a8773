import fs from 'node:fs';
import path from 'node:path';

// GitHub's workflow-command and file-command protocol, written here rather than imported from
// @actions/core: loading @actions/core pulls in undici and costs ~90 ms per action start (measured
// in `npm run bench`), for a protocol of a few lines.

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function command(
  name: string,
  message: string,
  props: Record<string, string | number | undefined> = {},
): string {
  const p = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${p ? ` ${p}` : ''}::${escapeData(message)}\n`;
}

function appendFileCommand(envVar: string, line: string): void {
  const file = process.env[envVar];
  if (!file) throw new Error(`bug: ${envVar} is not set; is this really a GitHub Actions runner?`);
  fs.appendFileSync(file, `${line}\n`, 'utf8');
}

/** `name<<delimiter` blocks carry any value, newlines included. */
function keyValue(name: string, value: string): string {
  const delimiter = `ghadelimiter_${process.getBuiltinModule('node:crypto').randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error('bug: value contains the delimiter');
  return `${name}<<${delimiter}\n${value}\n${delimiter}`;
}

export const github = {
  setOutput: (name: string, value: string) => appendFileCommand('GITHUB_OUTPUT', keyValue(name, value)),
  saveState: (name: string, value: string) => appendFileCommand('GITHUB_STATE', keyValue(name, value)),
  getState: (name: string) => process.env[`STATE_${name}`] ?? '',
  addPath: (dir: string) => {
    appendFileCommand('GITHUB_PATH', dir);
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`;
  },
  command,
};
