// The annotations and labels that make up extguard's user-facing contract (SPEC.md).

/** On a Pod, a workload's metadata or its pod template: ExternalName Services to inject. */
export const INJECT = 'extguard.io/inject';
/** Optional: containers (or initContainers) to inject into; default all of spec.containers. */
export const INJECT_CONTAINERS = 'extguard.io/inject-containers';

/** On an ExternalName Service. */
export const ENV_PREFIX = 'extguard.io/env-prefix';
export const SECRET = 'extguard.io/secret';
export const SECRET_KEYS = 'extguard.io/secret-keys';
export const HOST = 'extguard.io/host';
export const HOST_EXTERNAL_NAME = 'external-name';
export const DEFAULT_SECRET_KEYS = 'username=USER,password=PASSWORD';

/** On a Namespace: enforce | warn | audit | off. */
export const MODE_LABEL = 'extguard.io/mode';

/** Splits a comma-separated annotation value, trimming blanks and dropping empties. */
export function listAnnotation(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
