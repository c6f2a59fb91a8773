import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, type Node } from 'acorn';
import pLimit from 'p-limit';
import { minify } from 'terser';
import { ROOT, actionNames } from './actions.js';

/** The bundles kept in the repository: each action's dist/, and the CLI's bin/dist/. */
export function bundles(): Array<{ name: string; entry: string; dist: string }> {
  return [
    ...actionNames().map((name) => ({
      name,
      entry: path.join(ROOT, 'actions', name, 'src', 'main.ts'),
      dist: path.join(ROOT, 'actions', name, 'dist'),
    })),
    { name: 'cli', entry: path.join(ROOT, 'bin', 'cli.ts'), dist: path.join(ROOT, 'bin', 'dist') },
  ];
}

type Bundle = ReturnType<typeof bundles>[number];

/**
 * Runs `work` for each bundle, two at a time on a machine with two cores or more: one ncc run is
 * mostly a single thread, so a second one nearly halves a full build. Results keep the given order.
 */
export function eachBundle<T>(list: Bundle[], work: (b: Bundle) => Promise<T>): Promise<T[]> {
  const limit = pLimit(Math.max(1, Math.min(2, os.availableParallelism())));
  return Promise.all(list.map((b) => limit(() => work(b))));
}

/** Bundles one entry with ncc into `outDir` (minified, licenses collected, no source maps). */
export async function bundleEntry(name: string, entry: string, outDir: string): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc');
  const args = ['build', entry, '-o', outDir, '-m', '-q', '--license', 'licenses.txt', '--target', 'es2023'];
  try {
    await promisify(execFile)(ncc, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`ncc failed for ${name}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
  // ncc minifies the entry only; lazily loaded chunks (heavy libraries kept off the start path) too.
  for (const file of fs.readdirSync(outDir).filter((f) => f.endsWith('.js') && f !== 'index.js')) {
    const full = path.join(outDir, file);
    const out = await minify(fs.readFileSync(full, 'utf8'), {
      module: true,
      ecma: 2020,
      compress: true,
      mangle: true,
    });
    if (!out.code) throw new Error(`terser produced nothing for ${full}`);
    fs.writeFileSync(full, wrapModuleFactories(out.code));
  }
}

/** The module factories of a webpack chunk (`export const modules = { id: (e, t, r) => {…} }`). */
export function moduleFactories(code: string): Array<{ start: number; end: number }> {
  const found: Array<{ start: number; end: number }> = [];
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  for (const node of ast.body) {
    if (node.type !== 'ExportNamedDeclaration' || node.declaration?.type !== 'VariableDeclaration') continue;
    for (const d of node.declaration.declarations) {
      if (d.id.type !== 'Identifier' || d.id.name !== 'modules' || d.init?.type !== 'ObjectExpression')
        continue;
      for (const p of d.init.properties)
        if (p.type === 'Property' && isFunction(p.value))
          found.push({ start: p.value.start, end: p.value.end });
    }
  }
  return found;
}

const isFunction = (n: Node) => n.type === 'ArrowFunctionExpression' || n.type === 'FunctionExpression';

/**
 * Each module factory in parentheses, which V8 takes as "called soon" and compiles with the chunk:
 * left bare (as terser leaves it), a factory is pre-parsed on load and parsed again when called, and
 * that second parse is missing from Node's compile cache. client-node's factory alone took ~75 ms.
 */
export function wrapModuleFactories(code: string): string {
  let out = '';
  let at = 0;
  for (const { start, end } of moduleFactories(code)) {
    if (code[start - 1] === '(' && code[end] === ')') continue;
    out += `${code.slice(at, start)}(${code.slice(start, end)})`;
    at = end;
  }
  return out + code.slice(at);
}

/** Every file under a folder, relative path → bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), fs.readFileSync(full));
  }
  return out;
}
