// Where a violation's field is written in its YAML/JSON file. The judge speaks of fields as
// kubectl prints them (spec.template.spec.containers[0].env[2].value); a code-scanning alert
// needs the line. The text is parsed again with the same library and the same document
// numbering as the reader (src/catalog/files.ts), keeping node ranges this time.

import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';
import type { DocumentAddress } from '../catalog/files.ts';
import { kubectlDocuments } from '../catalog/yaml-stream.ts';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (SARIF's default columnKind). */
  column: number;
}

export type PathSegment = string | number;

/**
 * `spec.containers[0].env[2].value` and `metadata.labels["extguard.io/mode"]` as keys and
 * indexes. Parsing stops at the first segment it cannot read (a quoted key the judge cut short
 * for its message ends in `…`), returning the segments before it: the caller then points at the
 * deepest field it can name.
 */
export function pathSegments(path: string): PathSegment[] {
  // A hand-written scanner rather than regular expressions: linear by construction.
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
    } else if (path[i] === '[' && path[i + 1] === '"') {
      let j = i + 2;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (path[j + 1] !== ']') return out;
      try {
        out.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
      } catch {
        return out;
      }
      i = j + 2;
    } else if (path[i] === '[') {
      const close = path.indexOf(']', i);
      const digits = close < 0 ? '' : path.slice(i + 1, close);
      if (!isDigits(digits)) return out;
      out.push(Number(digits));
      i = close + 1;
    } else {
      let j = i;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      out.push(path.slice(i, j));
      i = j;
    }
  }
  return out;
}

function isDigits(text: string): boolean {
  return text.length > 0 && [...text].every((c) => c >= '0' && c <= '9');
}

/**
 * Finds fields in one text. Built once per file: a file holding many objects is parsed once.
 * `locate` answers the line and column of the field at `path` in the object at `address`;
 * when the path leaves the source (a field the judge names but the file does not spell out),
 * the deepest field of the path that is there; the object's first line at worst; undefined
 * only when the address names no object in this text.
 */
export class SourceLines {
  private readonly docs: { doc: Document.Parsed; lineOf: (offset: number) => number; text: string }[] = [];

  constructor(text: string) {
    for (const d of kubectlDocuments(text, () => {})) this.docs[d.index] = d;
  }

  locate(address: DocumentAddress, path: string): SourcePosition | undefined {
    const entry = this.docs[address.document];
    if (!entry) return undefined;
    const { doc } = entry;
    let node = this.resolve(doc, doc.contents);
    if (address.item !== undefined) {
      const items = isMap(node) ? this.resolve(doc, lastPair(node, 'items')?.value) : undefined;
      node = isSeq(items) ? this.resolve(doc, items.items[address.item]) : undefined;
    }
    if (!node?.range) return undefined;
    let at = node.range[0];
    for (const segment of pathSegments(path)) {
      if (typeof segment === 'number') {
        const item = isSeq(node) ? node.items[segment] : undefined;
        const next = this.resolve(doc, item);
        if (!next?.range) break;
        at = next.range[0];
        node = next;
      } else {
        const pair = isMap(node) ? lastPair(node, segment) : undefined;
        const key = pair?.key as Node | null | undefined;
        if (!pair || !key?.range) break;
        // The key's line: where `value: ...` is written, also for a block scalar or a nested map.
        at = key.range[0];
        node = this.resolve(doc, pair.value);
        if (!node) break;
      }
    }
    // Columns count in the text as read: a line whose indentation was mended (yaml-stream.ts) is a few columns off.
    return { line: entry.lineOf(at), column: at - entry.text.lastIndexOf('\n', at - 1) };
  }

  /** An alias stands for its anchor's node, which is where the value is written. */
  private resolve(doc: Document.Parsed, node: unknown): Node | undefined {
    if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? undefined;
    return (node ?? undefined) as Node | undefined;
  }
}

/** The last pair with this key: with a repeated key the last value is the one read. */
function lastPair(map: { items: Pair[] }, key: string): Pair | undefined {
  for (let i = map.items.length - 1; i >= 0; i--) {
    const k = map.items[i]!.key;
    if (isScalar(k) && String(k.value) === key) return map.items[i];
  }
  return undefined;
}
