// The one place that knows where the pod spec lives in each covered kind. Rules only see
// containers and paths, never the kind.

import { isObject, type Json } from './json.ts';
import { quoted } from './quote.ts';


/** Location of the pod template's spec, per kind (keys are `group/Kind`, core group is ""). */
const POD_SPEC_LOCATION: Record<string, readonly string[]> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  '/PodTemplate': ['template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const COVERED_KINDS = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController', 'PodTemplate'] as const;

export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface ContainerView {
  name: string;
  list: ContainerList;
  index: number;
  /** The container object as it is in the request (read-only: never mutate it). */
  container: Readonly<Json>;
  /** Dotted path for messages: spec.template.spec.containers[0] */
  path: string;
  /** JSON pointer for patches: /spec/template/spec/containers/0 */
  pointer: string;
}

export interface AnnotationSource {
  /** Dotted path of the annotations map, e.g. spec.template.metadata.annotations */
  path: string;
  annotations: Readonly<Record<string, string>>;
}

export interface WorkloadView {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** metadata.deletionTimestamp is set: the object is being finalised. */
  deleting: boolean;
  /** Object metadata first, then the pod template's metadata (for template kinds). */
  annotationSources: AnnotationSource[];
  containers: ContainerView[];
  /** The pod spec itself (read-only), for pod-level fields: hostAliases, dnsConfig, volumes. */
  podSpec: Readonly<Json>;
  /** Dotted path of the pod spec: spec, spec.template.spec... */
  specPath: string;
  /**
   * The Pod's own labels and annotations (the template's, for template kinds): what the
   * downward API hands a container (`fieldRef: metadata.annotations['k']`).
   */
  podMetadata: { annotations: Readonly<Record<string, string>>; labels: Readonly<Record<string, string>> };
}

/** String values of a metadata map; anything else is left to the API server's validation. */
function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The object claims a covered kind but its shape cannot be read. Message carries the field path. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}


export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The spec path for a covered kind, or undefined when extguard does not judge this kind. */
export function podSpecLocation(apiVersion: string, kind: string): readonly string[] | undefined {
  return POD_SPEC_LOCATION[`${groupOf(apiVersion)}/${kind}`];
}

function readAnnotations(meta: unknown, path: string): AnnotationSource | undefined {
  if (meta === undefined || meta === null) return undefined;
  if (!isObject(meta)) throw new ShapeError(`${path.replace(/\.annotations$/, '')}: expected an object`);
  const ann = meta['annotations'];
  if (ann === undefined || ann === null) return undefined;
  if (!isObject(ann)) throw new ShapeError(`${path}: expected a map of strings`);
  for (const [k, v] of Object.entries(ann)) {
    if (typeof v !== 'string') throw new ShapeError(`${path}[${quoted(k)}]: expected a string`);
  }
  return { path, annotations: ann as Record<string, string> };
}

/**
 * Builds the view of a workload object, or returns undefined for kinds extguard does not cover.
 * `requestNamespace` wins over metadata.namespace: the API server's namespace is authoritative.
 */
export function viewWorkload(object: unknown, requestNamespace?: string): WorkloadView | undefined {
  if (!isObject(object)) throw new ShapeError('object: expected a Kubernetes object');
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new ShapeError('object: apiVersion and kind must be strings');
  }
  const location = podSpecLocation(apiVersion, kind);
  if (!location) return undefined;

  const metadata = object['metadata'] ?? {};
  if (!isObject(metadata)) throw new ShapeError('metadata: expected an object');
  const name = typeof metadata['name'] === 'string' && metadata['name'] !== ''
    ? metadata['name']
    : typeof metadata['generateName'] === 'string' ? `${metadata['generateName']}*` : '';
  const namespace = requestNamespace || (typeof metadata['namespace'] === 'string' && metadata['namespace']) || 'default';

  const annotationSources: AnnotationSource[] = [];
  const own = readAnnotations(metadata, 'metadata.annotations');
  if (own) annotationSources.push(own);

  // Walk to the pod spec, remembering the template's metadata on the way.
  let node: unknown = object;
  const walked: string[] = [];
  let podMeta: unknown = metadata;
  for (const key of location) {
    if (!isObject(node)) throw new ShapeError(`${walked.join('.') || 'object'}: expected an object`);
    if (key === 'spec' && walked.at(-1) === 'template') {
      const tmpl = readAnnotations(node['metadata'], [...walked, 'metadata', 'annotations'].join('.'));
      if (tmpl) annotationSources.push(tmpl);
      podMeta = node['metadata'];
    }
    node = node[key];
    walked.push(key);
  }
  const specPath = walked.join('.');
  if (node === undefined || node === null) node = {};
  if (!isObject(node)) throw new ShapeError(`${specPath}: expected an object`);

  const containers: ContainerView[] = [];
  for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const items = node[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new ShapeError(`${specPath}.${list}: expected a list`);
    items.forEach((c: unknown, index: number) => {
      const path = `${specPath}.${list}[${index}]`;
      if (!isObject(c)) throw new ShapeError(`${path}: expected an object`);
      if (typeof c['name'] !== 'string') throw new ShapeError(`${path}.name: expected a string`);
      checkContainerShape(c, path);
      containers.push({ name: c['name'], list, index, container: c, path, pointer: '/' + [...walked, list, String(index)].join('/') });
    });
  }
  return {
    apiVersion,
    kind,
    name,
    namespace,
    deleting: metadata['deletionTimestamp'] != null,
    annotationSources,
    containers,
    podSpec: node,
    specPath,
    podMetadata: {
      annotations: isObject(podMeta) ? stringMap(podMeta['annotations']) : {},
      labels: isObject(podMeta) ? stringMap(podMeta['labels']) : {},
    },
  };
}

function checkContainerShape(c: Json, path: string): void {
  for (const field of ['command', 'args'] as const) {
    const v = c[field];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new ShapeError(`${path}.${field}: expected a list of strings`);
    }
  }
  const env = c['env'];
  if (env === undefined || env === null) return;
  if (!Array.isArray(env)) throw new ShapeError(`${path}.env: expected a list`);
  env.forEach((e: unknown, i: number) => {
    if (!isObject(e) || typeof e['name'] !== 'string') throw new ShapeError(`${path}.env[${i}].name: expected a string`);
    if (e['value'] !== undefined && e['value'] !== null && typeof e['value'] !== 'string') {
      throw new ShapeError(`${path}.env[${i}].value: expected a string`);
    }
  });
}

export function envOf(c: ContainerView): readonly Json[] {
  const env = c.container['env'];
  return Array.isArray(env) ? (env as Json[]) : [];
}

/** "Deployment shop/web" — how messages name the object. */
export function describeObject(view: Pick<WorkloadView, 'kind' | 'namespace' | 'name'>): string {
  if (view.kind === 'Namespace') return `Namespace ${view.name || '(unnamed)'}`;
  return `${view.kind} ${view.namespace}/${view.name || '(unnamed)'}`;
}
