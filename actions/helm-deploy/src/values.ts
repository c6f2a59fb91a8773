// The chart's values, checked before helm sees them: a YAML mistake is reported with the file and
// line it is on, not as a template error three steps later.
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { InputError, UserError, yamlErrorLine } from '@kubeline/runtime';

/** Parses one values document; `origin` names it in errors (a file, or the `values` input). */
export function parseValues(text: string, origin: string): Record<string, unknown> {
  // Duplicate keys are allowed, as helm allows them (the last one wins).
  const doc = parseDocument(text, { uniqueKeys: false });
  const err = doc.errors[0];
  if (err) throw new UserError(`${origin}: YAML syntax error${yamlErrorLine(err, text)}`);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UserError(
      `${origin}: values must be a YAML mapping (key: value), not a ${Array.isArray(value) ? 'list' : typeof value}`,
    );
  return value as Record<string, unknown>;
}

export function checkValuesFile(file: string): string {
  const full = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      'values-files',
      file,
      code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`,
    );
  }
  parseValues(text, `values file ${file}`);
  return full;
}

/** One `key=value` per line; a line without `=` is a mistake, not a key set to nothing. */
export function parseSetLines(raw: string, inputName: string): string[] {
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const l of lines)
    if (!/^[^=\s][^=]*=/.test(l)) throw new InputError(inputName, l, 'each line must be key=value');
  return lines;
}

export interface ValuesInputs {
  files: string[];
  inline: string;
  set: string;
  setString: string;
  setFile: string;
}

/**
 * The `-f` and `--set*` arguments in helm's precedence order: files, then the `values` input, then
 * the image pin (so the digest wins over any file), then the --set flags the user typed explicitly.
 */
export function valuesArgs(
  v: ValuesInputs,
  workDir: string,
  imageValues?: Record<string, unknown>,
): string[] {
  const args: string[] = [];
  for (const f of v.files) args.push('--values', checkValuesFile(f));
  if (v.inline.trim()) {
    parseValues(v.inline, 'input "values"');
    const file = path.join(workDir, 'values-input.yaml');
    fs.writeFileSync(file, v.inline, { mode: 0o600 });
    args.push('--values', file);
  }
  if (imageValues) {
    const file = path.join(workDir, 'values-image.json');
    // JSON is YAML: no quoting question for a digest or a tag with `@` in it.
    fs.writeFileSync(file, JSON.stringify(imageValues), { mode: 0o600 });
    args.push('--values', file);
  }
  for (const l of parseSetLines(v.set, 'set')) args.push('--set', l);
  for (const l of parseSetLines(v.setString, 'set-string')) args.push('--set-string', l);
  for (const l of parseSetLines(v.setFile, 'set-file')) {
    const file = l.slice(l.indexOf('=') + 1);
    if (!fs.existsSync(file)) throw new InputError('set-file', l, `no such file: ${file}`);
    args.push('--set-file', l);
  }
  return args;
}
