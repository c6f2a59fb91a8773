// YAML edited by splicing only the source ranges of the nodes that change: everything else (comments,
// key order, blank lines, quoting, indentation) stays byte for byte. Each splice is mirrored on the
// parsed Document, and the result is re-parsed and compared with it before anything is returned.
import { isDeepStrictEqual } from 'node:util';
import {
  Document,
  Scalar,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { UserError, yamlErrorLine } from '@kubeline/runtime';

/** Config files are small; a bigger one is a mistake or an attack, and is not parsed at all. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Aliases expanded per document: a handful is normal, a "billion laughs" document needs thousands. */
const MAX_ALIASES = 100;

export type YamlDoc = Document.Parsed;

export function parseYaml(text: string, file: string): YamlDoc[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILE_BYTES)
    throw new UserError(`${file}: ${bytes} bytes is more than the ${MAX_FILE_BYTES} a config file may have`);
  if (text.includes('\0')) throw new UserError(`${file}: contains a NUL byte, it is not a YAML text file`);
  const docs = [...parseAllDocuments(text, { uniqueKeys: true })];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new UserError(`${file}: invalid YAML${yamlErrorLine(err, text)}`);
  }
  for (const doc of docs) toJS(doc, file);
  return docs;
}

/** The plain value of a document, refusing alias bombs in one line. */
export function toJS(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (/alias/i.test((e as Error).message))
      throw new UserError(
        `${file}: too many YAML alias expansions (more than ${MAX_ALIASES}): refusing a possible alias bomb`,
      );
    throw e;
  }
}

/** A scalar's value as text, when it is a string, number or boolean. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

interface Splice {
  start: number;
  end: number;
  text: string;
  order: number;
  /** A flow collection written again whole: rendered from the final AST, absorbing edits inside it. */
  flow?: YAMLMap | YAMLSeq;
}

export class SourceEdit {
  private readonly splices: Splice[] = [];
  private readonly nl: string;

  constructor(
    readonly text: string,
    readonly file: string,
    readonly docs: YamlDoc[],
  ) {
    this.nl = text.includes('\r\n') ? '\r\n' : '\n';
  }

  get changed(): boolean {
    return this.splices.length > 0;
  }

  setScalar(node: Scalar, value: string): void {
    const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
    const rendered = renderScalar(value, block ? Scalar.PLAIN : node.type);
    // An empty null (`key:`) has no source: the value needs its separating space, and one before a
    // comment that follows (`key:   # note` puts the null at the #).
    const at = node.range![0];
    const empty = at === node.range![1];
    const gap = empty && !/\s/.test(this.text[at - 1] ?? '') ? ' ' : '';
    const beforeComment = empty && this.text[at] === '#' ? ' ' : '';
    this.splice(at, node.range![1], gap + (block ? rendered + this.nl : rendered) + beforeComment);
    node.value = value;
    if (block) node.type = Scalar.PLAIN;
  }

  /** Adds keys to a map (block: new lines after its last pair; flow: the map re-rendered). */
  addPairs(doc: YamlDoc, map: YAMLMap, entries: Record<string, unknown>): void {
    const last = map.items[map.items.length - 1];
    const column = last ? this.column((map.items[0]!.key as Node).range![0]) : 0;
    const unit = this.indentUnit(map, column);
    for (const [k, v] of Object.entries(entries)) map.set(doc.createNode(k), doc.createNode(v));
    if (map.flow || !last) return this.rerender(map);
    const at = this.lineEnd(this.contentEnd(last));
    this.splice(at, at, this.nl + this.block(entries, column, unit));
  }

  /** A key of `parent` holding null (`image:`) given a collection. */
  fillNull(doc: YamlDoc, parent: YAMLMap, pair: Pair, entries: object): void {
    if (parent.flow) {
      pair.value = doc.createNode(entries);
      return this.rerender(parent);
    }
    const key = pair.key as Node;
    const value = pair.value as Scalar;
    const column = this.column(key.range![0]);
    let start = value.range![0];
    while (this.text[start - 1] === ' ') start--;
    this.splice(start, value.range![1], '');
    const at = this.lineEnd(value.range![1]);
    this.splice(at, at, this.nl + this.block(entries, column + 2, 2));
    pair.value = doc.createNode(entries);
  }

  /** A file with no content given its first value. */
  fillEmpty(value: Record<string, unknown>): void {
    let doc = this.docs[this.docs.length - 1];
    if (!doc) this.docs.push((doc = new Document() as YamlDoc));
    doc.contents = doc.createNode(value) as YamlDoc['contents'];
    const at = this.text.length;
    const sep = at === 0 || this.text.endsWith('\n') ? '' : this.nl;
    this.splice(at, at, sep + this.block(value, 0, 2) + this.nl);
  }

  /** Appends an item to a sequence. */
  appendItem(doc: YamlDoc, seq: YAMLSeq, value: unknown): void {
    const last = seq.items[seq.items.length - 1] as Node | undefined;
    seq.add(doc.createNode(value));
    if (seq.flow || !last) return this.rerender(seq);
    const dash = this.dashColumn(seq.items[0] as Node);
    const at = this.lineEnd(this.lastNonSpace(last.range![1]));
    const body = this.block([value], dash, 2);
    this.splice(at, at, this.nl + body);
  }

  /** Removes a key and its value. */
  deletePair(map: YAMLMap, key: string): void {
    const i = map.items.findIndex((p) => scalarText(p.key) === key);
    const pair = map.items[i]!;
    if (map.flow) {
      map.items.splice(i, 1);
      return this.rerender(map);
    }
    const start = (pair.key as Node).range![0];
    const lineStart = this.lineStart(start);
    const end = this.lineEnd(this.contentEnd(pair));
    const next = map.items[i + 1];
    if (this.text.slice(lineStart, start).trim() === '') {
      this.splice(lineStart, end + this.nl.length > this.text.length ? end : end + this.nl.length, '');
    } else if (next) {
      // The first key of a sequence item (`- newTag: v1`): the next key moves up onto the dash line.
      this.splice(start, (next.key as Node).range![0], '');
    } else {
      throw new Error(`${this.file}: cannot remove the only key of an item`);
    }
    map.items.splice(i, 1);
  }

  /** The new text, re-parsed and checked to hold exactly the edited documents. */
  result(): string {
    if (!this.changed) return this.text;
    let out = this.text;
    const flows = this.splices.filter((s) => s.flow);
    for (const f of flows) {
      // Comments around the collection lie outside its range and stay in the text as they are.
      f.flow!.comment = f.flow!.commentBefore = undefined;
      f.text = new Document(f.flow).toString({ lineWidth: 0 }).trimEnd();
    }
    const inside = (s: Splice) => flows.some((f) => f !== s && f.start <= s.start && s.end <= f.end);
    const sorted = this.splices
      .filter((s) => !inside(s))
      .sort((a, b) => b.start - a.start || b.order - a.order);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.end > sorted[i - 1]!.start) throw new Error(`${this.file}: overlapping edits`);
    for (const s of sorted) out = out.slice(0, s.start) + s.text + out.slice(s.end);
    this.verify(out);
    return out;
  }

  private verify(out: string): void {
    const again = parseAllDocuments(out, { uniqueKeys: true });
    const problem = [...again].find((d) => d.errors.length > 0)?.errors[0];
    const expected = this.docs.map((d) => toJS(d, this.file));
    const actual = [...again].map((d) => toJS(d, this.file));
    if (problem || !isDeepStrictEqual(actual, expected))
      throw new Error(
        `${this.file}: the edited text does not read back as intended${problem ? `: ${problem.message}` : ''}`,
      );
  }

  /** A flow collection (`{}`, `[a, b]`) written again whole, still in flow style. */
  private rerender(node: YAMLMap | YAMLSeq): void {
    node.flow = true;
    if (this.splices.some((s) => s.flow === node)) return;
    this.splices.push({
      start: node.range![0],
      end: this.lastNonSpace(node.range![1]),
      text: '',
      order: this.splices.length,
      flow: node,
    });
  }

  private splice(start: number, end: number, text: string): void {
    this.splices.push({ start, end, text, order: this.splices.length });
  }

  private block(value: unknown, column: number, unit: number): string {
    const text = new Document(value).toString({ indent: Math.max(2, unit), lineWidth: 0 }).trimEnd();
    return text
      .split('\n')
      .map((l) => ' '.repeat(column) + l)
      .join(this.nl);
  }

  /** Where a pair's source ends (its value's last character, before trailing blank lines). */
  private contentEnd(pair: Pair): number {
    const node = (pair.value ?? pair.key) as Node;
    return this.lastNonSpace(node.range![1]);
  }

  private lastNonSpace(end: number): number {
    let i = end;
    while (i > 0 && /\s/.test(this.text[i - 1]!)) i--;
    return i;
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** The end of the line holding the character before `offset` (before its \r\n or \n). */
  private lineEnd(offset: number): number {
    const i = this.text.indexOf('\n', Math.max(0, offset - 1));
    if (i < 0) return this.text.length;
    return this.text[i - 1] === '\r' ? i - 1 : i;
  }

  private column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  private dashColumn(item: Node): number {
    let i = item.range![0] - 1;
    while (i >= 0 && this.text[i] === ' ') i--;
    return this.column(i);
  }

  /** The file's own indentation step, read from a nested block map, else 2. */
  private indentUnit(map: YAMLMap, column: number): number {
    for (const p of map.items)
      if ((isMap(p.value) || isSeq(p.value)) && !p.value.flow && p.value.items.length > 0) {
        const inner = p.value.items[0] as Node | Pair;
        const node = (isMap(p.value) ? (inner as Pair).key : inner) as Node;
        if (!node.range) continue;
        const unit = this.column(node.range[0]) - column;
        if (unit > 0 && isMap(p.value)) return unit;
      }
    return 2;
  }
}

function renderScalar(value: string, type: Scalar.Type | undefined): string {
  const node = new Scalar(value);
  if (type && type !== Scalar.BLOCK_FOLDED && type !== Scalar.BLOCK_LITERAL) node.type = type;
  const text = new Document(node).toString({ lineWidth: 0 }).trimEnd();
  return text.includes('\n') ? JSON.stringify(value) : text;
}
