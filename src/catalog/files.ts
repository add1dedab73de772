// Catalog from YAML/JSON manifests, for the CLI and for `serve --declarations`.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildSnapshot, toNamespaceRecord, toServiceRecord, type CatalogSnapshot, type NamespaceRecord, type ServiceRecord } from './snapshot.ts';

export interface ManifestDocument {
  /** file:index, for messages */
  source: string;
  object: Record<string, unknown>;
}

/** Unusable input: the CLI exits 2 on it. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Parses a multi-document YAML (or JSON) text; `kind: List` items are flattened. */
export function parseManifests(text: string, source: string): ManifestDocument[] {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const out: ManifestDocument[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length) throw new InputError(`${source}: document ${i + 1} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${source}: document ${i + 1} is not a Kubernetes object`);
    const obj = value as Record<string, unknown>;
    const items = obj['kind'] === 'List' || (typeof obj['kind'] === 'string' && obj['kind'].endsWith('List') && Array.isArray(obj['items'])) ? obj['items'] : undefined;
    if (Array.isArray(items)) {
      items.forEach((item: unknown, j) => {
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) out.push({ source: `${source}#${i + 1}.items[${j}]`, object: item as Record<string, unknown> });
      });
    } else {
      if (typeof obj['kind'] !== 'string' || typeof obj['apiVersion'] !== 'string') {
        throw new InputError(`${source}: document ${i + 1} has no apiVersion/kind`);
      }
      out.push({ source: `${source}#${i + 1}`, object: obj });
    }
  });
  return out;
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
