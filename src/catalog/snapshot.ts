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
  /** Its records: plain data, so a judge worker can rebuild the same snapshot. */
  records(): CatalogRecords;
  /**
   * The changes that turn `older` (an earlier snapshot of the same source) into this one,
   * oldest first; undefined when only a full copy of records() will do.
   */
  changesSince?(older: CatalogSnapshot): readonly CatalogChange[] | undefined;
}

/** One Service or Namespace put or removed (no record: removed). */
export type CatalogChange =
  | { kind: 'service'; namespace: string; name: string; record?: ServiceRecord }
  | { kind: 'namespace'; name: string; record?: NamespaceRecord };

/** How a judge worker's catalog is brought up to date: a full copy, or the changes since the last one. */
export type CatalogUpdate = { records: CatalogRecords } | { changes: readonly CatalogChange[] };

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

/**
 * A catalog indexed for the judge's lookups, updated in place one change at a time: what each
 * judge worker holds, and what the informers keep on the main thread. With 10k Services an
 * informer event costs a few map operations, not a rebuild of every index.
 */
export class CatalogIndex implements CatalogSnapshot {
  private readonly byKey = new Map<string, ServiceRecord>();
  /** Per namespace: declared externalNames, and how many Services declare each. */
  private readonly names = new Map<string, { set: Set<string>; count: Map<string, number> }>();
  private readonly labels = new Map<string, Readonly<Record<string, string>>>();
  private readonly servicesIn = new Map<string, number>();
  private readonly known = new Set<string>();

  static from(serviceRecords: Iterable<ServiceRecord>, namespaceRecords: Iterable<NamespaceRecord>): CatalogIndex {
    const index = new CatalogIndex();
    for (const s of serviceRecords) index.putService(s);
    for (const ns of namespaceRecords) index.putNamespace(ns);
    return index;
  }

  service(namespace: string, name: string): ServiceRecord | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  externalNames(namespace: string): ReadonlySet<string> {
    return this.names.get(namespace)?.set ?? EMPTY_SET;
  }

  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.labels.get(namespace);
  }

  namespaces(): ReadonlySet<string> {
    return this.known;
  }

  records(): CatalogRecords {
    return { services: [...this.byKey.values()], namespaces: [...this.labels].map(([name, labels]) => ({ name, labels })) };
  }

  apply(changes: Iterable<CatalogChange>): void {
    for (const c of changes) {
      if (c.kind === 'service') {
        if (c.record) this.putService(c.record);
        else this.removeService(c.namespace, c.name);
      } else if (c.record) this.putNamespace(c.record);
      else this.removeNamespace(c.name);
    }
  }

  /** Adds or replaces the Service with this record's namespace and name. */
  putService(s: ServiceRecord): void {
    const key = `${s.namespace}/${s.name}`;
    const old = this.byKey.get(key);
    if (old) this.unindex(old);
    this.byKey.set(key, s);
    this.servicesIn.set(s.namespace, (this.servicesIn.get(s.namespace) ?? 0) + 1);
    this.known.add(s.namespace);
    const declared = declaredName(s);
    if (declared !== undefined) {
      let ns = this.names.get(s.namespace);
      if (!ns) this.names.set(s.namespace, (ns = { set: new Set(), count: new Map() }));
      ns.set.add(declared);
      ns.count.set(declared, (ns.count.get(declared) ?? 0) + 1);
    }
  }

  removeService(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    this.unindex(old);
  }

  putNamespace(ns: NamespaceRecord): void {
    this.labels.set(ns.name, ns.labels);
    this.known.add(ns.name);
  }

  removeNamespace(name: string): void {
    if (!this.labels.delete(name)) return;
    if (!this.servicesIn.get(name)) this.known.delete(name);
  }

  private unindex(s: ServiceRecord): void {
    const left = (this.servicesIn.get(s.namespace) ?? 1) - 1;
    if (left > 0) this.servicesIn.set(s.namespace, left);
    else {
      this.servicesIn.delete(s.namespace);
      if (!this.labels.has(s.namespace)) this.known.delete(s.namespace);
    }
    const declared = declaredName(s);
    const ns = declared === undefined ? undefined : this.names.get(s.namespace);
    if (!ns || declared === undefined) return;
    const n = (ns.count.get(declared) ?? 1) - 1;
    if (n > 0) ns.count.set(declared, n);
    else {
      ns.count.delete(declared);
      ns.set.delete(declared);
      if (ns.set.size === 0) this.names.delete(s.namespace);
    }
  }
}

function declaredName(s: ServiceRecord): string | undefined {
  return s.type === 'ExternalName' && s.externalName && s.declares !== false ? normalizeDnsName(s.externalName) : undefined;
}

/** An index of these records. A later record with the same namespace and name replaces an earlier one. */
export function buildSnapshot(serviceRecords: Iterable<ServiceRecord>, namespaceRecords: Iterable<NamespaceRecord>): CatalogSnapshot {
  return CatalogIndex.from(serviceRecords, namespaceRecords);
}

/** The message that brings a worker holding `sent` (nothing yet: undefined) up to `current`. */
export function catalogUpdate(sent: CatalogSnapshot | undefined, current: CatalogSnapshot): CatalogUpdate {
  const changes = sent === undefined ? undefined : current.changesSince?.(sent);
  return changes ? { changes } : { records: current.records() };
}

/** Applies an update in a judge worker: in place on the index the worker owns. */
export function applyCatalogUpdate(index: CatalogIndex, update: CatalogUpdate): CatalogIndex {
  if ('records' in update) return CatalogIndex.from(update.records.services, update.records.namespaces);
  index.apply(update.changes);
  return index;
}

/** Most changes a live catalog remembers: a worker further behind gets a full copy. */
const MAX_LOGGED_CHANGES = 4096;

/**
 * The informers' catalog: one index updated in place as events arrive, and a short log of the
 * changes, so each judge worker is sent what changed since its last copy rather than every
 * record again. current() hands out a new snapshot object only when something changed (the
 * pool compares snapshots by identity). Its lookups read the live index: on the main thread,
 * where events and lookups never interleave within a request, the latest state is the right
 * answer; the version only says what a worker has been sent.
 */
export class LiveCatalog {
  private readonly index = new CatalogIndex();
  private readonly log: CatalogChange[] = [];
  /** Version of the first change in the log. */
  private logStart = 1;
  private version = 0;
  private snapshot: CatalogSnapshot | undefined;
  private snapshotVersion = -1;
  private readonly versions = new WeakMap<CatalogSnapshot, number>();

  /** Applies one change; false (and no new version) when it changes nothing the judge reads. */
  apply(change: CatalogChange): boolean {
    if (!this.changes(change)) return false;
    this.index.apply([change]);
    this.version++;
    this.log.push(change);
    if (this.log.length > MAX_LOGGED_CHANGES) {
      const drop = this.log.length - MAX_LOGGED_CHANGES / 2;
      this.log.splice(0, drop);
      this.logStart += drop;
    }
    return true;
  }

  private changes(c: CatalogChange): boolean {
    if (c.kind === 'service') {
      const old = this.index.service(c.namespace, c.name);
      return c.record ? !old || !sameServiceRecord(old, c.record) : old !== undefined;
    }
    const old = this.index.namespaceLabels(c.name);
    return c.record ? !old || !sameNamespaceRecord({ name: c.name, labels: old }, c.record) : old !== undefined;
  }

  current(): CatalogSnapshot {
    if (this.snapshot && this.snapshotVersion === this.version) return this.snapshot;
    const index = this.index;
    const version = this.version;
    const snapshot: CatalogSnapshot = {
      service: (namespace, name) => index.service(namespace, name),
      externalNames: (namespace) => index.externalNames(namespace),
      namespaceLabels: (namespace) => index.namespaceLabels(namespace),
      namespaces: () => index.namespaces(),
      records: () => index.records(),
      changesSince: (older) => {
        const from = this.versions.get(older);
        // Not one of ours, or older than the log remembers.
        if (from === undefined || from + 1 < this.logStart || from > version) return undefined;
        return this.log.slice(from + 1 - this.logStart, version + 1 - this.logStart);
      },
    };
    this.versions.set(snapshot, version);
    this.snapshot = snapshot;
    this.snapshotVersion = version;
    return snapshot;
  }
}

export const EMPTY_CATALOG: CatalogSnapshot = buildSnapshot([], []);

/** Same judgement inputs: an update that changes neither need not reach the judge. */
export function sameServiceRecord(a: ServiceRecord, b: ServiceRecord): boolean {
  return a.namespace === b.namespace && a.name === b.name && a.type === b.type && a.externalName === b.externalName && a.declares === b.declares
    && a.ports.length === b.ports.length && a.ports.every((p, i) => p === b.ports[i]) && sameStrings(a.annotations, b.annotations);
}

export function sameNamespaceRecord(a: NamespaceRecord, b: NamespaceRecord): boolean {
  return a.name === b.name && sameStrings(a.labels, b.labels);
}

function sameStrings(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}


function stringMap(v: unknown, prefix = ''): Record<string, string> {
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string' && k.startsWith(prefix)) out[k] = val;
  return out;
}

/**
 * Every Service annotation the judge reads (policy/annotations.ts) is under this prefix. The
 * others are dropped from the record: a Service applied by kubectl carries its whole manifest
 * again in kubectl.kubernetes.io/last-applied-configuration, which with 10k Services is most
 * of the catalog's memory, and a change to it is no change to the judge.
 */
export const JUDGED_ANNOTATION_PREFIX = 'extguard.io/';

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
    annotations: stringMap(meta['annotations'], JUDGED_ANNOTATION_PREFIX),
  };
  if (typeof spec['externalName'] === 'string') record.externalName = spec['externalName'];
  return record;
}

export function toNamespaceRecord(obj: unknown): NamespaceRecord | undefined {
  if (!isObject(obj) || !isObject(obj['metadata']) || typeof obj['metadata']['name'] !== 'string') return undefined;
  return { name: obj['metadata']['name'], labels: stringMap(obj['metadata']['labels']) };
}
