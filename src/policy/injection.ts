// Injection: for each ExternalName Service named in extguard.io/inject, append
// <PREFIX>_HOST, <PREFIX>_PORT and secretKeyRef credentials to the target containers.
// Append only: an existing variable is never overwritten (the user gets a warning instead),
// and a variable that already has exactly the injected definition is left alone, which is
// what makes a second admission of the mutated object produce no patch.

import type { CatalogSnapshot, ServiceRecord } from '../catalog/snapshot.ts';
import { describeObject, envOf, type ContainerView, type WorkloadView } from '../objects/workload.ts';
import * as A from './annotations.ts';
import { warningLine, type Judged } from './messages.ts';
import type { JsonPatchOperation, Violation } from './types.ts';

export interface InjectionPlan {
  patch: JsonPatchOperation[];
  violations: Judged[];
  warnings: string[];
}

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Default prefix: the Service name upper-cased, every non-alphanumeric character as "_". */
export function defaultEnvPrefix(serviceName: string): string {
  return serviceName.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Parses "username=USER,password=PASSWORD"; malformed pairs are reported, not guessed. */
export function parseSecretKeys(value: string): { pairs: { key: string; suffix: string }[]; bad: string[] } {
  const pairs: { key: string; suffix: string }[] = [];
  const bad: string[] = [];
  for (const item of A.listAnnotation(value)) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    const suffix = item.slice(eq + 1).trim();
    if (eq <= 0 || !/^[-._a-zA-Z0-9]+$/.test(key) || !/^[A-Za-z0-9_]+$/.test(suffix)) bad.push(item);
    else pairs.push({ key, suffix });
  }
  return { pairs, bad };
}

export interface Found { service: ServiceRecord; shared: boolean }

function findService(name: string, namespace: string, catalog: CatalogSnapshot, sharedNamespace?: string): ServiceRecord | undefined {
  return catalog.service(namespace, name) ?? (sharedNamespace ? catalog.service(sharedNamespace, name) : undefined);
}

/**
 * What one Service contributes, before it becomes variables: the prefix, the host value, the
 * first port, and the Secret's key=SUFFIX pairs. Shared with the native injection's params
 * (src/native/injection.ts), so the API server and the webhook inject the same variables.
 */
export interface ServiceInjection {
  prefix: string;
  host: string;
  port?: number;
  secret?: string;
  keys: { key: string; suffix: string }[];
}

export function serviceInjection({ service, shared }: Found, warnings: string[]): ServiceInjection {
  let prefix = service.annotations[A.ENV_PREFIX]?.trim() || defaultEnvPrefix(service.name);
  if (!ENV_NAME.test(prefix)) {
    warnings.push(`Service ${service.namespace}/${service.name}: ${A.ENV_PREFIX} "${prefix}" is not a valid variable name; using ${defaultEnvPrefix(service.name)}`);
    prefix = defaultEnvPrefix(service.name);
  }
  // The Service's own name routes traffic through the declaration. A Service in the shared
  // namespace is not resolvable by its short name from another namespace, hence the FQDN-ish form.
  const viaService = shared ? `${service.name}.${service.namespace}.svc` : service.name;
  const host = service.annotations[A.HOST] === A.HOST_EXTERNAL_NAME && service.externalName
    ? service.externalName.replace(/\.$/, '')
    : viaService;
  const facts: ServiceInjection = { prefix, host, keys: [] };
  if (service.ports[0] !== undefined) facts.port = service.ports[0];
  const secret = service.annotations[A.SECRET]?.trim();
  if (secret) {
    const { pairs, bad } = parseSecretKeys(service.annotations[A.SECRET_KEYS] ?? A.DEFAULT_SECRET_KEYS);
    if (bad.length) warnings.push(`Service ${service.namespace}/${service.name}: ignored malformed ${A.SECRET_KEYS} entries (expected key=SUFFIX): ${bad.join(', ')}`);
    facts.secret = secret;
    facts.keys = pairs;
  }
  return facts;
}

/** The variables one Service contributes, plus warnings about its own annotations. */
function variablesFor(found: Found, warnings: string[]): EnvVar[] {
  const { prefix, host, port, secret, keys } = serviceInjection(found, warnings);
  const vars: EnvVar[] = [{ name: `${prefix}_HOST`, value: host }];
  if (port !== undefined) vars.push({ name: `${prefix}_PORT`, value: String(port) });
  if (secret) for (const { key, suffix } of keys) vars.push({ name: `${prefix}_${suffix}`, valueFrom: { secretKeyRef: { name: secret, key } } });
  return vars;
}

function sameDefinition(existing: Record<string, unknown>, wanted: EnvVar): boolean {
  if (wanted.value !== undefined) return existing['value'] === wanted.value && existing['valueFrom'] == null;
  const ref = (existing['valueFrom'] as { secretKeyRef?: { name?: unknown; key?: unknown } } | undefined)?.secretKeyRef;
  return existing['value'] == null && ref?.name === wanted.valueFrom?.secretKeyRef.name && ref?.key === wanted.valueFrom?.secretKeyRef.key;
}

/** Containers named by extguard.io/inject-containers, or all of spec.containers. */
function targetContainers(view: WorkloadView, requested: string[], warnings: string[]): ContainerView[] {
  if (requested.length === 0) return view.containers.filter((c) => c.list === 'containers');
  const targets: ContainerView[] = [];
  for (const name of new Set(requested)) {
    // Ephemeral containers are added later through their own subresource: never injected.
    const c = view.containers.find((x) => x.name === name && x.list !== 'ephemeralContainers');
    if (c) targets.push(c);
    else warnings.push(`${describeObject(view)}: ${A.INJECT_CONTAINERS} names container "${name}", which does not exist; nothing injected into it`);
  }
  return targets;
}

export function planInjection(view: WorkloadView, catalog: CatalogSnapshot, sharedNamespace?: string): InjectionPlan {
  const plan: InjectionPlan = { patch: [], violations: [], warnings: [] };
  const requested: { name: string; path: string }[] = [];
  const containerNames: string[] = [];
  for (const src of view.annotationSources) {
    for (const name of A.listAnnotation(src.annotations[A.INJECT])) {
      if (!requested.some((r) => r.name === name)) requested.push({ name, path: `${src.path}["${A.INJECT}"]` });
    }
    containerNames.push(...A.listAnnotation(src.annotations[A.INJECT_CONTAINERS]));
  }
  if (requested.length === 0) return plan;

  const vars: EnvVar[] = [];
  for (const { name, path } of requested) {
    const service = findService(name, view.namespace, catalog, sharedNamespace);
    if (!service || service.type !== 'ExternalName' || !service.externalName) {
      const where = sharedNamespace && sharedNamespace !== view.namespace ? `namespace ${view.namespace} or ${sharedNamespace}` : `namespace ${view.namespace}`;
      const problem = service ? `is a ${service.type} Service, not ExternalName` : `does not exist in ${where}`;
      const violation: Violation = {
        rule: 'unknown-external-service',
        container: '',
        path,
        message: `${describeObject(view)}: ${A.INJECT} names Service "${name}", which ${problem}. ` +
          `Fix: declare it as an ExternalName Service in ${view.namespace}${sharedNamespace ? ` (or ${sharedNamespace})` : ''}, or remove it from the annotation.`,
      };
      plan.violations.push({ violation, warning: warningLine(violation, `Service "${name}" ${problem}`) });
      continue;
    }
    vars.push(...variablesFor({ service, shared: service.namespace !== view.namespace }, plan.warnings));
  }

  for (const c of targetContainers(view, containerNames, plan.warnings)) {
    const before = envOf(c);
    const after: unknown[] = [...before];
    for (const v of vars) {
      const existing = after.find((e) => (e as Record<string, unknown>)['name'] === v.name) as Record<string, unknown> | undefined;
      if (!existing) after.push(v);
      else if (!sameDefinition(existing, v)) {
        plan.warnings.push(`${describeObject(view)}: container "${c.name}" already defines ${v.name}; extguard did not overwrite it (${c.path}.env)`);
      }
    }
    if (after.length === before.length) continue;
    // Variables are only ever appended, so the patch is the new list or one add per new item.
    // (A JSON-patch diff of the env deep-cloned it on every review, /validate's included.)
    if (c.container['env'] == null) plan.patch.push({ op: 'add', path: `${c.pointer}/env`, value: after });
    else for (let i = before.length; i < after.length; i++) plan.patch.push({ op: 'add', path: `${c.pointer}/env/${i}`, value: after[i] });
  }
  return plan;
}
