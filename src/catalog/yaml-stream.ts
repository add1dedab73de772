// The documents of a manifest file as kubectl reads them. kubectl (k8s.io/apimachinery's
// YAMLOrJSONDecoder) cuts the text at every line that starts with `---` and converts each piece
// on its own with sigs.k8s.io/yaml, a YAML 1.1 reader more lenient than the YAML 1.2 library
// used here. Where the two disagree on what a user's file holds, the gate must side with what
// kubectl would apply. The differences handled here were found by comparing both readers on
// the same bytes (test/kubectl-yaml, test/integration/kubectl-parse.test.ts):
//
// - pieces: cut where kubectl cuts, one piece at a time, so a huge file is never one parse tree;
// - a `---` line followed by anything but a comment: kubectl refuses the file;
// - after a `...` end marker, text before the next `---` is not read by kubectl (kustomize reads
//   it, so it is judged, with a notice);
// - a multi-line quoted value or flow collection indented less than its key (kubectl reads it,
//   YAML 1.2 does not): read again with its continuation lines indented, which changes no value;
// - merge keys (`<<: *defaults`): kubectl merges them, so the judge must see the merged map;
// - several JSON objects one after another: kubectl reads them as a stream.

import { LineCounter, parseAllDocuments, Parser, type Document } from 'yaml';

export interface StreamNote {
  /** 1-based line in the whole text. */
  line: number;
  reason: string;
  code: string;
}

export interface StreamDocument {
  /** 0-based, counting every document this reader yields for the text (what DocumentAddress.document counts). */
  index: number;
  doc: Document.Parsed;
  /** 1-based line in the whole text of an offset into `doc`'s own source. */
  lineOf(offset: number): number;
  /** The text `doc`'s offsets point into: its piece, with any indentation mended. */
  text: string;
  /** Why kubectl would not read this document at all (it is still parsed, for notes). */
  ignored?: string;
}

export const YAML_OPTIONS = { prettyErrors: false, logLevel: 'silent', merge: true } as const;

/** kubectl refuses a file with a `---` line that carries more than a comment. */
export const KUBECTL_SEPARATOR = 'KUBECTL_SEPARATOR';
/** A multi-line value indented less than its key: read as kubectl reads it. */
export const KUBECTL_INDENT = 'KUBECTL_INDENT';
/** A document after `...` without a `---`: kubectl skips it. */
export const KUBECTL_AFTER_END = 'KUBECTL_AFTER_END';

/** A part of the text kubectl converts on its own. */
interface Piece {
  start: number;
  text: string;
  /** 1-based line of the whole text the piece starts on. */
  firstLine: number;
  /** The `---` line it starts with carries more than a comment. */
  separator?: StreamNote;
}

const AFTER_END = 'follows a `...` end marker without a `---` line: kubectl skips it (kustomize reads it); judged anyway, start it with `---` or remove it';
const REPAIRS_PER_PIECE = 20;

/** The pieces of `text` kubectl decodes one at a time: cut before every line that starts with `---`. */
export function* kubectlPieces(text: string): Generator<Piece> {
  let start = 0;
  let line = 1;
  let pieceLine = 1;
  let separator: StreamNote | undefined;
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    if (text.startsWith('---', at) && at > start) {
      yield { start, text: text.slice(start, at), firstLine: pieceLine, ...(separator ? { separator } : {}) };
      start = at;
      pieceLine = line;
      separator = undefined;
    }
    if (text.startsWith('---', at)) {
      const rest = text.slice(at + 3, end).trim();
      if (rest && !rest.startsWith('#')) separator = { line, reason: 'a `---` line followed by more than a comment: kubectl refuses the file ("invalid Yaml document separator"); put the content on the next line', code: KUBECTL_SEPARATOR };
    }
    at = end;
    line++;
  }
  if (start < text.length) yield { start, text: text.slice(start), firstLine: pieceLine, ...(separator ? { separator } : {}) };
}

/**
 * Every YAML document of the text, piece by piece, with notes on where kubectl reads the text
 * differently from YAML 1.2. Lazy: a caller that judges each document before asking for the
 * next holds one piece's parse tree at a time.
 */
export function* kubectlDocuments(text: string, notes: (note: StreamNote) => void, only?: (piece: string) => boolean): Generator<StreamDocument> {
  let index = 0;
  const jsonPieces = jsonStream(text);
  const pieces = jsonPieces ?? kubectlPieces(text);
  for (const piece of pieces) {
    // A caller after some kinds only (check's first pass, for cluster state) skips the parse.
    if (only && !only(piece.text)) continue;
    if (piece.separator) notes(piece.separator);
    const { docs, lines, repaired, text: parsed } = parsePiece(piece.text);
    const lineOf = (offset: number): number => lines.linePos(offset).line + piece.firstLine - 1;
    for (const r of repaired) notes({ line: lineOf(r), reason: 'a multi-line value indented less than its key: YAML 1.2 rejects it, kubectl (YAML 1.1) reads it, and so does extguard', code: KUBECTL_INDENT });
    let i = 0;
    for (const doc of docs) {
      // kubectl converts the first document of a piece; one after `...` without `---` is dropped.
      const ignored = i > 0 && doc.directives?.docStart !== true && (doc.contents !== null || doc.errors.length > 0) ? AFTER_END : undefined;
      yield { index: index++, doc, lineOf, text: parsed, ...(ignored ? { ignored } : {}) };
      i++;
    }
  }
}

function parsePiece(source: string): { docs: Document.Parsed[]; lines: LineCounter; repaired: number[]; text: string } {
  let text = source;
  const repaired: number[] = [];
  for (;;) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lines }) as Document.Parsed[];
    const error = repaired.length < REPAIRS_PER_PIECE ? docs.flatMap((d) => d.errors).find((e) => e.code === 'MISSING_CHAR' || e.code === 'BAD_INDENT') : undefined;
    const fixed = error ? reindent(text, error.pos[0]) : undefined;
    if (!fixed) return { docs, lines, repaired, text };
    repaired.push(fixed.at);
    text = fixed.text;
  }
}

/**
 * The quoted scalar or flow collection open at `errorAt`, with its continuation lines indented
 * one column deeper than the line it starts on. Inside a quoted scalar or a flow collection,
 * leading white space of a continuation line is folded away, so the value read is the same
 * (what YAML 1.1 readers do without asking for the indentation). Only spaces are added at line
 * starts, so every line keeps its number. Undefined when there is nothing of that kind to mend.
 */
export function reindent(text: string, errorAt: number): { text: string; at: number } | undefined {
  const open = openerBefore(text, errorAt);
  if (open === undefined) return undefined;
  const close = closerOf(text, open);
  if (close === undefined || close < errorAt - 1) return undefined;
  const lineStart = text.lastIndexOf('\n', open - 1) + 1;
  let indent = 0;
  while (text[lineStart + indent] === ' ') indent++;
  let out = text.slice(0, open);
  let at = open;
  let changed = false;
  while (at <= close) {
    const nl = text.indexOf('\n', at);
    if (nl < 0 || nl >= close) break;
    out += text.slice(at, nl + 1);
    let spaces = 0;
    while (text[nl + 1 + spaces] === ' ') spaces++;
    const first = text[nl + 1 + spaces];
    if (first !== undefined && first !== '\n' && first !== '\r' && spaces <= indent) {
      out += ' '.repeat(indent + 1 - spaces);
      changed = true;
    }
    at = nl + 1;
  }
  out += text.slice(at);
  return changed ? { text: out, at: open } : undefined;
}

/** The offset of the last quoted scalar or flow collection that starts before `offset`, per the library's own tokens. */
function openerBefore(text: string, offset: number): number | undefined {
  let best: number | undefined;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const t = node as { type?: string; offset?: number; start?: { offset?: number } };
    let at: number | undefined;
    if ((t.type === 'single-quoted-scalar' || t.type === 'double-quoted-scalar') && typeof t.offset === 'number') at = t.offset;
    if (t.type === 'flow-collection' && typeof t.start?.offset === 'number') at = t.start.offset;
    if (at !== undefined && at < offset && (best === undefined || at > best)) best = at;
    for (const [k, v] of Object.entries(node)) if (k !== 'source' && typeof v === 'object') visit(v);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return best;
}

/** Where the quoted scalar or flow collection opened at `open` closes, skipping quotes and comments inside. */
function closerOf(text: string, open: number): number | undefined {
  const c = text[open];
  if (c === "'") {
    for (let i = open + 1; i < text.length; i++) {
      if (text[i] !== "'") continue;
      if (text[i + 1] === "'") i++;
      else return i;
    }
    return undefined;
  }
  if (c === '"') {
    for (let i = open + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return i;
    }
    return undefined;
  }
  if (c !== '{' && c !== '[') return undefined;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const end = closerOf(text, i);
      if (end === undefined) return undefined;
      i = end;
    } else if (ch === '#' && (text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return undefined;
      i = nl;
    } else if (ch === '{' || ch === '[') {
      depth++;
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) return i;
    }
  }
  return undefined;
}

/**
 * JSON objects one after another (`{...}\n{...}`), which kubectl reads as a stream and YAML
 * does not: the pieces, one per object, when the text is exactly that; otherwise undefined
 * and the text is read as YAML (one JSON object, or JSON with `#` comments, is YAML too).
 */
function jsonStream(text: string): Piece[] | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  const pieces: Piece[] = [];
  let line = 1;
  let counted = 0;
  while (i < text.length) {
    if (text[i] !== '{') return undefined;
    const end = jsonObjectEnd(text, i);
    if (end === undefined) return undefined;
    const piece = text.slice(i, end + 1);
    try {
      JSON.parse(piece);
    } catch {
      return undefined;
    }
    for (let k = counted; k < i; k++) if (text[k] === '\n') line++;
    counted = i;
    pieces.push({ start: i, text: piece, firstLine: line });
    i = skipSpace(text, end + 1);
  }
  return pieces.length > 1 ? pieces : undefined;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n' || text[i] === '\uFEFF')) i++;
  return i;
}

function jsonObjectEnd(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '{' || ch === '[') {
      depth++;
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) return i;
    }
  }
  return undefined;
}
