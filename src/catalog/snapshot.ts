// An immutable view of the cluster state the judge needs: Services (to find ExternalName
// declarations) and Namespace labels (for modes). Built by the informer source or from files;
// the judge only ever reads it.

import { isObject } from '../objects/json.ts';

export interface ServiceRecord {
  namespace: string;
  name: string;
  /** spec.type; "ClusterIP" when unset, as the API server defaults it. */
  type: string;
  externalName?: string;
  ports: number[];
  annotations: Readonly<Record<string, string>>;
  /** false: known (for injection and `name.namespace`), but its externalName declares nothing (an untrusted input of `check`). */
  declares?: false;
}

export interface NamespaceRecord {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface CatalogSnapshot {
  service(namespace: string, name: string): ServiceRecord | undefined;
  /** Lower-cased externalNames declared by ExternalName Services in this namespace. */
  externalNames(namespace: string): ReadonlySet<string>;
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Names of every namespace known, from Namespace objects and from Services' namespaces. */
  namespaces(): ReadonlySet<string>;
  /** The records it was built from: plain data, so a judge worker can rebuild the same snapshot. */
  records(): CatalogRecords;
}

export interface CatalogRecords {
  services: readonly ServiceRecord[];
  namespaces: readonly NamespaceRecord[];
}

/** Where the server gets its snapshot from: informers, or a fixed set of files. */
export interface CatalogSource {
  current(): CatalogSnapshot;
  /** Empty when synced; otherwise why not (for /readyz). */
  notReady(): string[];
  stop(): Promise<void>;
}

/** A fixed catalog (files, or none): always ready. */
export function staticCatalog(snapshot: CatalogSnapshot): CatalogSource {
  return { current: () => snapshot, notReady: () => [], stop: async () => {} };
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** Lower-case, one trailing dot removed: how SPEC compares externalNames. */
export function normalizeDnsName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function buildSnapshot(serviceRecords: Iterable<ServiceRecord>, namespaceRecords: Iterable<NamespaceRecord>): CatalogSnapshot {
  const services = [...serviceRecords];
  const namespaces = [...namespaceRecords];
  const byKey = new Map<string, ServiceRecord>();
  const names = new Map<string, Set<string>>();
  const labels = new Map<string, Readonly<Record<string, string>>>();
  const known = new Set<string>();
  for (const s of services) {
    byKey.set(`${s.namespace}/${s.name}`, s);
    known.add(s.namespace);
    if (s.type === 'ExternalName' && s.externalName && s.declares !== false) {
      let set = names.get(s.namespace);
      if (!set) names.set(s.namespace, (set = new Set()));
      set.add(normalizeDnsName(s.externalName));
    }
  }
  for (const ns of namespaces) {
    labels.set(ns.name, ns.labels);
    known.add(ns.name);
  }
  return {
    service: (namespace, name) => byKey.get(`${namespace}/${name}`),
    externalNames: (namespace) => names.get(namespace) ?? EMPTY_SET,
    namespaceLabels: (namespace) => labels.get(namespace),
    namespaces: () => known,
    records: () => ({ services, namespaces }),
  };
}

export const EMPTY_CATALOG: CatalogSnapshot = buildSnapshot([], []);


function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/**
 * Reduces a Service object (from a watch or a file) to what the judge needs.
 * `defaultNamespace` applies to manifests that omit metadata.namespace.
 */
export function toServiceRecord(obj: unknown, defaultNamespace = 'default'): ServiceRecord | undefined {
  if (!isObject(obj) || !isObject(obj['metadata'])) return undefined;
  const meta = obj['metadata'];
  const spec = isObject(obj['spec']) ? obj['spec'] : {};
  if (typeof meta['name'] !== 'string') return undefined;
  const ports = Array.isArray(spec['ports'])
    ? spec['ports'].flatMap((p: unknown) => (isObject(p) && typeof p['port'] === 'number' ? [p['port']] : []))
    : [];
  const record: ServiceRecord = {
    namespace: typeof meta['namespace'] === 'string' && meta['namespace'] ? meta['namespace'] : defaultNamespace,
    name: meta['name'],
    type: typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP',
    ports,
    annotations: stringMap(meta['annotations']),
  };
  if (typeof spec['externalName'] === 'string') record.externalName = spec['externalName'];
  return record;
}

export function toNamespaceRecord(obj: unknown): NamespaceRecord | undefined {
  if (!isObject(obj) || !isObject(obj['metadata']) || typeof obj['metadata']['name'] !== 'string') return undefined;
  return { name: obj['metadata']['name'], labels: stringMap(obj['metadata']['labels']) };
}
