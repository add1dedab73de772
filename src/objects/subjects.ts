// The two cluster objects besides workloads that the judge rules on: Namespaces (their mode
// label) and ExternalName Services (declarations). Like workload.ts, this only reads shapes;
// what is allowed is policy's to say.

import { isObject, type Json } from './json.ts';
import { ShapeError } from './workload.ts';


export interface NamespaceView {
  kind: 'Namespace';
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

export interface DeclarationView {
  kind: 'Service';
  name: string;
  namespace: string;
  /** spec.type; the API server defaults it to ClusterIP. */
  type: string;
  externalName?: string;
}

function metadataOf(object: Json): Json {
  const m = object['metadata'] ?? {};
  if (!isObject(m)) throw new ShapeError('metadata: expected an object');
  return m;
}

function nameOf(metadata: Json): string {
  return typeof metadata['name'] === 'string' ? metadata['name'] : '';
}

/** A core/v1 Namespace, or undefined for anything else. */
export function viewNamespace(object: unknown): NamespaceView | undefined {
  if (!isObject(object) || object['apiVersion'] !== 'v1' || object['kind'] !== 'Namespace') return undefined;
  const metadata = metadataOf(object);
  const labels = metadata['labels'] ?? {};
  if (!isObject(labels) || Object.values(labels).some((v) => typeof v !== 'string')) throw new ShapeError('metadata.labels: expected a map of strings');
  const name = nameOf(metadata);
  return { kind: 'Namespace', name, namespace: name, labels: labels as Record<string, string> };
}

/** A core/v1 Service, or undefined for anything else. */
export function viewService(object: unknown, requestNamespace?: string): DeclarationView | undefined {
  if (!isObject(object) || object['apiVersion'] !== 'v1' || object['kind'] !== 'Service') return undefined;
  const metadata = metadataOf(object);
  const spec = object['spec'] ?? {};
  if (!isObject(spec)) throw new ShapeError('spec: expected an object');
  const type = spec['type'] ?? 'ClusterIP';
  if (typeof type !== 'string') throw new ShapeError('spec.type: expected a string');
  const externalName = spec['externalName'];
  if (externalName !== undefined && externalName !== null && typeof externalName !== 'string') throw new ShapeError('spec.externalName: expected a string');
  const namespace = requestNamespace || (typeof metadata['namespace'] === 'string' && metadata['namespace']) || 'default';
  return { kind: 'Service', name: nameOf(metadata), namespace, type, ...(typeof externalName === 'string' ? { externalName } : {}) };
}

export interface ConfigMapView {
  kind: 'ConfigMap';
  name: string;
  namespace: string;
  /** `data`: file names (or variable names) and their text. `binaryData` is not read: bytes are no config text. */
  data: Readonly<Record<string, string>>;
  /** metadata.deletionTimestamp is set: an update only lets it go. */
  deleting: boolean;
}

/** A core/v1 ConfigMap, or undefined for anything else. */
export function viewConfigMap(object: unknown, requestNamespace?: string): ConfigMapView | undefined {
  if (!isObject(object) || object['apiVersion'] !== 'v1' || object['kind'] !== 'ConfigMap') return undefined;
  const metadata = metadataOf(object);
  const data = object['data'] ?? {};
  if (!isObject(data)) throw new ShapeError('data: expected a map of strings');
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') throw new ShapeError(`data[${JSON.stringify(key.slice(0, 253))}]: expected a string`);
  }
  const namespace = requestNamespace || (typeof metadata['namespace'] === 'string' && metadata['namespace']) || 'default';
  return { kind: 'ConfigMap', name: nameOf(metadata), namespace, data: data as Record<string, string>, deleting: metadata['deletionTimestamp'] != null };
}
