// Catalog from YAML/JSON manifests, for the CLI and for `serve --declarations`.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlias, isCollection, isMap, isSeq, visit, type Document } from 'yaml';
import { KUBECTL_AFTER_END, KUBECTL_SEPARATOR, kubectlDocuments } from './yaml-stream.ts';
import { buildSnapshot, toNamespaceRecord, toServiceRecord, type CatalogSnapshot, type NamespaceRecord, type ServiceRecord } from './snapshot.ts';

export interface ManifestDocument {
  /** file#index, for messages */
  source: string;
  object: Record<string, unknown>;
  /** The file and the 1-based line the document starts on, when it came from a file. */
  file?: string;
  line?: number;
  /** Where in the file's text the object sits, for outputs that point at a field's line (SARIF). */
  address?: DocumentAddress;
}

/** Which YAML document of a text holds an object, and which item of a `kind: List`. */
export interface DocumentAddress {
  /** 0-based, counting every document of the stream. */
  document: number;
  item?: number;
}

/** Unusable input: the CLI exits 2 on it. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Something about one place in a file: why a document was skipped, could not be read, or what the YAML reader noticed. */
export interface FileNote {
  file: string;
  /** 1-based; absent when the note is about the whole file. */
  line?: number;
  reason: string;
  /** The YAML library's code for a notice (DUPLICATE_KEY, TAG_RESOLVE_FAILED...), or COLLECTION_KEY. */
  code?: string;
}

/** What one YAML/JSON text holds: Kubernetes objects, and everything that is not one. */
export interface ManifestText {
  documents: ManifestDocument[];
  /** Documents that are not Kubernetes objects: docker-compose files, CI configs, Chart.yaml. */
  skipped: FileNote[];
  /** Documents that are not valid YAML: not judged. */
  errors: FileNote[];
  /** What the YAML reader noticed without failing (a duplicate key: the last value is read). */
  notices: FileNote[];
}

export const NOT_AN_OBJECT = 'has no apiVersion/kind: not a Kubernetes object';
export const JSON_WITH_COMMENTS = 'JSON with // or /* comments: kubectl cannot read it (JSON has no comments; in YAML, and in JSON read as YAML, a comment starts with #)';

/** A line that starts (after blanks) with `//` or `/*`. A scan, not a regular expression: linear by construction. */
function hasJsonComment(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trimStart();
    if (t.startsWith('//') || t.startsWith('/*')) return true;
  }
  return false;
}

/** One thing a text holds, in text order: an object to judge, or a note. */
export type ManifestEntry =
  | { type: 'document'; document: ManifestDocument }
  | { type: 'skipped' | 'error' | 'notice'; note: FileNote };

/**
 * Reads every document of a multi-document YAML (or JSON) text, judging none and stopping at
 * none: one file that is not a manifest must not hide the manifests next to it. `kind: List`
 * items are flattened. The YAML library's warnings become notices, never process warnings
 * (a CI log full of `(node:…) Warning:` lines hides the report).
 */
export function readManifestText(text: string, file: string): ManifestText {
  const out: ManifestText = { documents: [], skipped: [], errors: [], notices: [] };
  for (const entry of manifestEntries(text, file)) {
    if (entry.type === 'document') out.documents.push(entry.document);
    else if (entry.type === 'skipped') out.skipped.push(entry.note);
    else if (entry.type === 'error') out.errors.push(entry.note);
    else out.notices.push(entry.note);
  }
  return out;
}

/**
 * The entries of a text one document at a time (src/catalog/yaml-stream.ts reads it the way
 * kubectl does): a caller that judges each object before asking for the next never holds the
 * whole file's parse trees.
 */
export function* manifestEntries(text: string, file: string, only?: (piece: string) => boolean): Generator<ManifestEntry> {
  const pending: FileNote[] = [];
  const flush = function* (): Generator<ManifestEntry> {
    while (pending.length) yield { type: pending[0]!.code === KUBECTL_SEPARATOR ? 'error' : 'notice', note: pending.shift()! };
  };
  for (const { doc, index: i, lineOf, ignored, text: parsed } of kubectlDocuments(text, (n) => pending.push({ file, line: n.line, reason: n.reason, code: n.code }), only)) {
    yield* flush();
    const line = lineOf(doc.contents?.range[0] ?? doc.range[0]);
    const source = `${file}#${i + 1}`;
    // Still judged: kustomize's reader (YAML 1.2) does read it, and a gate errs towards judging.
    if (ignored) yield { type: 'notice', note: { file, line, reason: ignored, code: KUBECTL_AFTER_END } };
    // A repeated key is well-formed enough to read (the last value wins, as in kubectl's
    // reader); any other error leaves the document unread.
    const broken = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
    for (const e of doc.errors) if (e.code === 'DUPLICATE_KEY') yield { type: 'notice', note: { file, line: lineOf(e.pos[0]), reason: `duplicate key${keyAt(parsed, e.pos)}: the last value is read`, code: e.code } };
    if (broken.length) {
      yield { type: 'error', note: { file, line: lineOf(broken[0]!.pos[0]), reason: `not valid YAML: ${yamlReason(broken[0]!)}` } };
      continue;
    }
    for (const w of doc.warnings) yield { type: 'notice', note: { file, line: lineOf(w.pos[0]), reason: yamlReason(w), code: w.code } };
    for (const note of collectionKeys(doc, file, lineOf)) yield { type: 'notice', note };
    let value: unknown;
    try {
      // `!!binary` is text to kubectl (sigs.k8s.io/yaml decodes it into the string), so it is to the judge.
      value = doc.toJS({ maxAliasCount: 100, reviver: (_key, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v) });
    } catch (err) {
      yield { type: 'error', note: { file, line, reason: `cannot be read: ${yamlReason({ code: '', message: (err as Error).message })}` } };
      continue;
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      yield { type: 'skipped', note: { file, line, reason: `is ${Array.isArray(value) ? 'a list' : 'a scalar'}: not a Kubernetes object` } };
      continue;
    }
    const obj = value as Record<string, unknown>;
    const items = obj['kind'] === 'List' || (typeof obj['kind'] === 'string' && obj['kind'].endsWith('List') && Array.isArray(obj['items'])) ? obj['items'] : undefined;
    if (Array.isArray(items)) {
      const itemLines = listItemLines(doc, lineOf);
      for (const [j, item] of (items as unknown[]).entries()) {
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) yield { type: 'document', document: { source: `${source}.items[${j}]`, object: item as Record<string, unknown>, file, line: itemLines[j] ?? line, address: { document: i, item: j } } };
      }
    } else if (typeof obj['kind'] !== 'string' || typeof obj['apiVersion'] !== 'string') {
      // `{ // comment` reads as YAML with an odd key; kubectl's JSON reader refuses it.
      if (parsed.trimStart().startsWith('{') && hasJsonComment(parsed)) yield { type: 'error', note: { file, line, reason: JSON_WITH_COMMENTS } };
      else yield { type: 'skipped', note: { file, line, reason: NOT_AN_OBJECT } };
    } else {
      yield { type: 'document', document: { source, object: obj, file, line, address: { document: i } } };
    }
  }
  yield* flush();
}

/** The line each item of a List's `items` starts on (each gets its own line in the report, not the List's). */
function listItemLines(doc: Document.Parsed, lineOf: (offset: number) => number): number[] {
  const contents = doc.contents;
  if (!isMap(contents)) return [];
  const items = contents.get('items', true);
  if (!isSeq(items)) return [];
  return items.items.map((node) => {
    const n = isAlias(node) ? node.resolve(doc) : node;
    const range = (n as { range?: [number, number, number] } | null)?.range;
    return range ? lineOf(range[0]) : 0;
  });
}

/**
 * ` "image"`: the repeated key as written, quoted, for the notice. Only the key: a JSON key is
 * read to its closing quote and a plain one to its `:`, never on into the value (`{"value":"…"`
 * has no blank after the colon), since the value may be a credential. Bounded.
 */
function keyAt(text: string, pos: readonly [number, number]): string {
  const rest = text.slice(pos[0], pos[0] + 80);
  const q = rest[0];
  let key: string;
  if (q === '"' || q === "'") {
    const close = rest.indexOf(q, 1);
    key = close < 0 ? '' : rest.slice(1, close);
  } else {
    key = rest.slice(0, rest.search(/[:\n,{}[\]]|$/)).trim();
  }
  return key ? ` ${JSON.stringify(key)}` : '';
}

/**
 * What the YAML reader found, without the text it found it in: the library's messages quote
 * source characters after a colon (`Block scalar header includes extra characters: |…`,
 * `Unresolved tag: !…`) and in escape errors, and that text may be a credential, printed by
 * `check` in every format. The message's first line up to `word: `, and fixed words for
 * the codes that quote source text without one.
 */
function yamlReason(e: { code: string; message: string }): string {
  if (e.code === 'BAD_DQ_ESCAPE') return 'Invalid escape sequence in a double-quoted scalar';
  if (e.code === 'BAD_SCALAR_START') return 'Plain value cannot start with an indicator character';
  const first = e.message.split('\n')[0]!;
  // `word: text` introduces quoted source; ` : ` is the indicator named in the library's own
  // words (`Missing , or : between flow map items`).
  let cut = first.indexOf(': ');
  while (cut > 0 && first[cut - 1] === ' ') cut = first.indexOf(': ', cut + 1);
  return (cut < 0 ? first : first.slice(0, cut)).trim() || e.code || 'YAML error';
}

/** `? [a, b]: x`: a key JavaScript objects can only hold as a string; the library would warn on stderr. */
function collectionKeys(doc: Document, file: string, lineOf: (offset: number) => number): FileNote[] {
  const out: FileNote[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) out.push({ file, line: lineOf(pair.key.range?.[0] ?? 0), reason: 'a key that is a map or a list is read as its text', code: 'COLLECTION_KEY' });
    },
  });
  return out;
}

/**
 * Parses a multi-document YAML (or JSON) text that must hold only Kubernetes objects
 * (`--declarations`, `mutate`): any document that is not one makes the input unusable.
 */
export function parseManifests(text: string, source: string): ManifestDocument[] {
  const r = readManifestText(text, source);
  const duplicate = r.notices.find((n) => n.code === 'DUPLICATE_KEY');
  const problem = r.errors[0] ?? (duplicate && { ...duplicate, reason: `not valid YAML: ${duplicate.reason}` }) ?? r.skipped[0];
  if (problem) throw new InputError(`${source}:${problem.line ?? 1}: ${problem.reason}`);
  return r.documents;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Reads files, directories (recursively, *.yaml|*.yml|*.json) or "-" for stdin. */
export function readManifests(paths: readonly string[], stdin?: () => string): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  const visit = (path: string): void => {
    if (path === '-') {
      out.push(...parseManifests(stdin ? stdin() : readFileSync(0, 'utf8'), '<stdin>'));
      return;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new InputError(`${path}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        const child = join(path, entry);
        if (statSync(child).isDirectory() || MANIFEST_EXT.test(entry)) visit(child);
      }
      return;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InputError(`${path}: ${(err as Error).message}`);
    }
    out.push(...parseManifests(text, path));
  };
  for (const p of paths) visit(p);
  return out;
}

/** Services and Namespaces among the documents become cluster state. */
export function catalogFromDocuments(docs: readonly ManifestDocument[]): CatalogSnapshot {
  const { services, namespaces } = recordsFromDocuments(docs);
  return buildSnapshot(services, namespaces);
}

/** The Service and Namespace records among the documents. */
export function recordsFromDocuments(docs: readonly ManifestDocument[]): { services: ServiceRecord[]; namespaces: NamespaceRecord[] } {
  const services: ServiceRecord[] = [];
  const namespaces: NamespaceRecord[] = [];
  for (const { object } of docs) {
    if (object['apiVersion'] !== 'v1') continue;
    if (object['kind'] === 'Service') {
      const s = toServiceRecord(object);
      if (s) services.push(s);
    } else if (object['kind'] === 'Namespace') {
      const n = toNamespaceRecord(object);
      if (n) namespaces.push(n);
    }
  }
  return { services, namespaces };
}
