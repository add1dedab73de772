// Builders for the host-position tests (issue 20): one Pod in namespace `shop`, judged against
// a fixed catalog, with the one container's env, command line or pod-level fields given per row.

import { clusterIPService, externalService, namespace, pod } from './objects.ts';
import { catalogOf } from './policy.ts';
import type { CatalogSnapshot } from '../../src/catalog/snapshot.ts';

type Json = Record<string, any>;

/**
 * Namespace `shop` with no mode label (so the default, enforce), ClusterIP Services `redis` and
 * `es` (Elasticsearch's headless Service) in it, and an ExternalName Service `payments` in it
 * that declares `api.stripe.com`.
 */
export function positionsCatalog(): CatalogSnapshot {
  return catalogOf([namespace('shop'), clusterIPService('redis'), clusterIPService('es'), externalService('payments', 'api.stripe.com')]);
}

/** An env entry with a literal value. */
export const v = (name: string, value: string): Json => ({ name, value });

/** An env entry from the downward API (`status.podIP`, `metadata.annotations['…']`). */
export const fieldRef = (name: string, fieldPath: string): Json => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** `POD_IP` from `status.podIP`, to put in front of rows that use `$(POD_IP)`. */
export const POD_IP = fieldRef('POD_IP', 'status.podIP');

/** A Pod whose one container has these env entries (`[name, value]` pairs or full entries). */
export function envPod(...vars: (Json | [string, string])[]): Json {
  return pod({ containers: [{ env: vars.map((x) => (Array.isArray(x) ? v(x[0], x[1]) : x)) }] });
}

/** A Pod whose one container has this command line; `args` without `command` is the image's entrypoint case. */
export function cmdPod(command: string[] | undefined, args?: string[], env?: Json[]): Json {
  return pod({ containers: [{ ...(command ? { command } : {}), ...(args ? { args } : {}), ...(env ? { env } : {}) }] });
}

/** `sh -c SCRIPT` as the container's command (the script is `command[2]`). */
export const shPod = (script: string, shell = 'sh'): Json => cmdPod([shell, '-c', script]);

/** A Pod with pod-level fields (`dnsConfig`, `volumes`…), its own annotations, and the container's extra fields. */
export function specPod(spec: Json, opts: { annotations?: Record<string, string>; container?: Json } = {}): Json {
  const p: Json = pod({ containers: [{}], ...(opts.annotations ? { annotations: opts.annotations } : {}) });
  Object.assign(p['spec'], spec);
  if (opts.container) Object.assign(p['spec'].containers[0], opts.container);
  return p;
}

/** A CSI inline volume of `driver` with these attributes, mounted nowhere in particular. */
export const csiVolume = (driver: string, volumeAttributes: Record<string, string>): Json =>
  specPod({ volumes: [{ name: 'v', csi: { driver, volumeAttributes } }] });

/** Paths of the one container, as the judge names them for a Pod. */
export const at = {
  env: (i: number) => `spec.containers[0].env[${i}].value`,
  command: (i: number) => `spec.containers[0].command[${i}]`,
  args: (i: number) => `spec.containers[0].args[${i}]`,
};
