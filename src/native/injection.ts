// Native injection: MutatingAdmissionPolicies (JSONPatch) that give a workload annotated
// extguard.io/inject exactly the variables the webhook's /mutate gives it, from the namespace's
// Declarations object (params), so a workload admitted while extguard is down still starts with
// its connection settings. See common.ts and docs/native.md "injection".
//
// The API server's CEL has no way to read Services, so the Service facts (prefix, host value,
// first port, Secret and its key=SUFFIX pairs) come resolved in the params, computed by
// declaredServices() below from the same code the webhook uses (serviceInjection). What the
// policy does in CEL is only the part that needs the workload: which services and containers
// the annotations name, which variables a container already has, and the patch.
//
// Less than the webhook, never different from it: a service missing from the params, a missing
// params object, an object being deleted, an expression error or a cost-limit hit all mean "no
// mutation" (failurePolicy Ignore), and the webhook, when up, does the rest. Never a denial.

import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';
import { INJECT, INJECT_CONTAINERS } from '../policy/annotations.ts';
import { serviceInjection } from '../policy/injection.ts';
import { mapVersion, MODE_LABEL, nativeHead, SKIPPED_NAMESPACES_EXPRESSION, WORKLOAD_RULES, type KubeObject, type Target } from './common.ts';

/** The params the policies read: one Declarations object named `extguard` in each namespace. */
export const DECLARATIONS = { group: 'extguard.io', version: 'v1alpha1', kind: 'Declarations', plural: 'declarations', name: 'extguard' } as const;

/**
 * One entry of Declarations `spec.services`: an ExternalName Service a workload in this
 * namespace may name in extguard.io/inject, already resolved for this namespace (a Service of
 * the shared namespace appears with its `<name>.<ns>.svc` host unless a local one shadows it).
 */
export interface DeclaredService {
  /** The Service's name, as the annotation names it. */
  name: string;
  /** A valid variable name: extguard.io/env-prefix, or the default from the Service name. */
  prefix: string;
  /** The value of <PREFIX>_HOST. */
  host: string;
  /** The Service's first port (<PREFIX>_PORT); absent when it declares none. */
  port?: number;
  /** extguard.io/secret; absent when unset (then no credential variables). */
  secret?: string;
  /** The valid key=SUFFIX pairs of extguard.io/secret-keys (malformed ones dropped, as the webhook does). */
  keys?: { key: string; suffix: string }[];
}

export interface DeclarationsSpec {
  services: DeclaredService[];
}

/**
 * The `spec.services` of one namespace's Declarations: every Service the webhook's injection
 * would find from there (own namespace first, then the shared one) that is ExternalName,
 * sorted by name. Anything else stays out, so the native policy leaves it to the webhook.
 */
/** Service names by namespace, in one pass: declaredServices for every namespace reads it instead of every Service each time. */
export function serviceNamesByNamespace(catalog: CatalogSnapshot): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of catalog.records().services) {
    const names = out.get(s.namespace);
    if (names) names.push(s.name);
    else out.set(s.namespace, [s.name]);
  }
  return out;
}

export function declaredServices(namespace: string, catalog: CatalogSnapshot, sharedNamespace?: string, byNamespace = serviceNamesByNamespace(catalog)): DeclaredService[] {
  const names = new Set<string>(byNamespace.get(namespace));
  if (sharedNamespace !== undefined) for (const n of byNamespace.get(sharedNamespace) ?? []) names.add(n);
  const out: DeclaredService[] = [];
  for (const name of [...names].sort()) {
    const service = catalog.service(namespace, name) ?? (sharedNamespace !== undefined ? catalog.service(sharedNamespace, name) : undefined);
    if (!service || service.type !== 'ExternalName' || !service.externalName) continue;
    const facts = serviceInjection({ service, shared: service.namespace !== namespace }, []);
    const entry: DeclaredService = { name, prefix: facts.prefix, host: facts.host };
    if (facts.port !== undefined) entry.port = facts.port;
    if (facts.secret !== undefined) {
      entry.secret = facts.secret;
      entry.keys = facts.keys;
    }
    out.push(entry);
  }
  return out;
}

/** Where the pod spec and the pod template's metadata live, for the kinds of one policy. */
export interface Location {
  suffix: string;
  /** Resources (plural) this location covers, looked up in WORKLOAD_RULES. */
  resources: string[];
  operations: string[];
  /** Path of the pod spec, as object fields. */
  spec: string[];
  /** Metadata whose annotations ask for injection: the object's, then the pod template's (as the webhook merges them). */
  metadata: string[][];
}

export const LOCATIONS: Location[] = [
  // A Pod's containers cannot change after creation: injected on CREATE only (docs/contract.md).
  { suffix: 'pod', resources: ['pods'], operations: ['CREATE'], spec: ['spec'], metadata: [['metadata']] },
  {
    suffix: 'template',
    resources: ['replicationcontrollers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs'],
    operations: ['CREATE', 'UPDATE'],
    spec: ['spec', 'template', 'spec'],
    metadata: [['metadata'], ['spec', 'template', 'metadata']],
  },
  {
    suffix: 'cronjob',
    resources: ['cronjobs'],
    operations: ['CREATE', 'UPDATE'],
    spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    metadata: [['metadata'], ['spec', 'jobTemplate', 'spec', 'template', 'metadata']],
  },
  { suffix: 'podtemplate', resources: ['podtemplates'], operations: ['CREATE', 'UPDATE'], spec: ['template', 'spec'], metadata: [['metadata'], ['template', 'metadata']] },
];

const cel = (s: string): string => JSON.stringify(s);

/**
 * The comma-separated annotation `key`, merged over the location's metadata, trimmed, blanks
 * dropped (listAnnotation); duplicates kept. Not distinct(): its cost is quadratic in the list,
 * and a 1,000-name annotation (3.6 kB) already ran out of budget with it.
 */
export function annotationList(loc: Location, key: string): string {
  const values = loc.metadata.map((m) => `object${m.map((f) => `.?${f}`).join('')}.?annotations[?${cel(key)}].orValue('')`);
  return `(${values.join(" + ',' + ")}).split(',').map(s, s.trim()).filter(s, s != '')`;
}

function policyFor(loc: Location, target: Target): KubeObject {
  const version = mapVersion(target)!;
  const spec = `object.${loc.spec.join('.')}`;
  const pointer = `/${loc.spec.join('/')}`;
  // The Object type of one env entry, for the JSONPatch values: each variable is added on its
  // own, since a JSONPatch value that is a list of Object initialisers panics kube-apiserver 1.36.3.
  const envType = (list: string): string => `Object.${[...loc.spec, list, 'env'].join('.')}`;
  const envVar = (list: string): string =>
    `v.secret == '' ? ${envType(list)}{name: v.name, value: v.value} : ` +
    `${envType(list)}{name: v.name, valueFrom: ${envType(list)}.valueFrom{secretKeyRef: ${envType(list)}.valueFrom.secretKeyRef{name: v.secret, key: v.key}}}`;
  // Per target container: the wanted variables it does not define yet (by name: an existing
  // variable is never overwritten, and one with the injected definition makes this a no-op).
  // Cost: |wanted| x |env| name comparisons (counted once: the emptiness test runs only for a
  // container without env, where it is free); the e2e measures where it meets the limit.
  const missing = (c: string): string => `variables.wanted.filter(v, !has(${c}.env) || !${c}.env.exists(e, e.name == v.name))`;
  const ops = (list: string): string => {
    const c = `variables.podSpec.${list}[i]`;
    const at = `${cel(`${pointer}/${list}/`)} + string(i) + '/env'`;
    return `variables.${list === 'containers' ? 'containerTargets' : 'initTargets'}.map(i, ` +
      `(!has(${c}.env) && size(${missing(c)}) > 0 ? [JSONPatch{op: 'add', path: ${at}, value: []}] : []) + ` +
      `${missing(c)}.map(v, JSONPatch{op: 'add', path: ${at} + '/-', value: ${envVar(list)}})).flatten()`;
  };
  const variables = [
    { name: 'podSpec', expression: spec },
    { name: 'requested', expression: annotationList(loc, INJECT) },
    { name: 'containerNames', expression: annotationList(loc, INJECT_CONTAINERS) },
    // Every named service must be in the params; otherwise the webhook (or its VAP) decides.
    { name: 'ready', expression: `params != null && size(variables.requested) > 0 && variables.requested.all(n, params.?spec.?services.orValue([]).exists(s, s.name == n))` },
    // The named services, first occurrence kept, in order. Evaluated only once `ready`: then
    // each name's first occurrence lies within the first |services| entries, so the scan for an
    // earlier one costs |requested| x |services|, not |requested|^2.
    { name: 'services', expression: `variables.requested.transformList(i, n, !variables.requested.exists(j, m, j < i && m == n), n)` },
    // The variables of the named services in order, each as {name, value, secret, key}
    // (secret '' for a plain value), the first definition of a name winning as in the webhook.
    {
      name: 'declared',
      expression: `variables.services.map(n, params.spec.services.filter(s, s.name == n)[0]).map(s, ` +
        `[{'name': string(s.prefix) + '_HOST', 'value': string(s.host), 'secret': '', 'key': ''}] + ` +
        `(has(s.port) ? [{'name': string(s.prefix) + '_PORT', 'value': string(s.port), 'secret': '', 'key': ''}] : []) + ` +
        `(has(s.secret) && has(s.keys) ? s.keys.map(k, {'name': string(s.prefix) + '_' + string(k.suffix), 'value': '', 'secret': string(s.secret), 'key': string(k.key)}) : [])).flatten()`,
    },
    { name: 'wanted', expression: `variables.declared.transformList(i, v, !variables.declared.exists(j, w, j < i && w.name == v.name), v)` },
    // Containers named by extguard.io/inject-containers (which may name an initContainer), or all of spec.containers.
    {
      name: 'containerTargets',
      expression: `!has(variables.podSpec.containers) ? [] : size(variables.containerNames) == 0 ? variables.podSpec.containers.transformList(i, c, i) : variables.podSpec.containers.transformList(i, c, c.name in variables.containerNames, i)`,
    },
    {
      name: 'initTargets',
      expression: `!has(variables.podSpec.initContainers) || size(variables.containerNames) == 0 ? [] : variables.podSpec.initContainers.transformList(i, c, c.name in variables.containerNames && !(has(variables.podSpec.containers) && variables.podSpec.containers.exists(x, x.name == c.name)), i)`,
    },
  ];
  const rules = WORKLOAD_RULES.map((r) => ({ ...r, operations: loc.operations, resources: r.resources.filter((x) => loc.resources.includes(x)) })).filter((r) => r.resources.length > 0);
  return {
    ...nativeHead(version, 'MutatingAdmissionPolicy', `extguard-inject-${loc.suffix}`),
    spec: {
      paramKind: { apiVersion: `${DECLARATIONS.group}/${DECLARATIONS.version}`, kind: DECLARATIONS.kind },
      matchConstraints: { resourceRules: rules },
      matchConditions: [
        { name: 'asks-for-injection', expression: `${loc.metadata.map((m) => `object${m.map((f) => `.?${f}`).join('')}.?annotations[?${cel(INJECT)}].hasValue()`).join(' || ')}` },
        // The webhook leaves an object being finalised alone unless its containers change; here, always.
        { name: 'not-deleting', expression: '!has(object.metadata.deletionTimestamp)' },
      ],
      failurePolicy: 'Ignore',
      // Another mutation may add containers after this one, as for the webhook.
      reinvocationPolicy: 'IfNeeded',
      variables,
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: `variables.ready ? ${ops('containers')} + ${ops('initContainers')} : []` } }],
    },
  };
}

/** Namespaces the webhook mutates in: every mode but off (an unknown label value is enforce), never an exempt one, never one its entry skips. */
function namespaceSelector(config: Config): object {
  return {
    matchExpressions: [
      { key: MODE_LABEL, operator: 'NotIn', values: ['off'] },
      ...(config.defaultMode === 'off' ? [{ key: MODE_LABEL, operator: 'Exists' }] : []),
      ...(config.exemptNamespaces.length ? [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...config.exemptNamespaces].sort() }] : []),
      SKIPPED_NAMESPACES_EXPRESSION,
    ],
  };
}

/** The injection policies and their bindings, in a fixed order; none before Kubernetes 1.34 (no MutatingAdmissionPolicy). */
export function injectionPolicies(config: Config, target: Target): KubeObject[] {
  const version = mapVersion(target);
  if (!version) return [];
  const out: KubeObject[] = [];
  for (const loc of LOCATIONS) {
    const policy = policyFor(loc, target);
    out.push(policy, {
      ...nativeHead(version, 'MutatingAdmissionPolicyBinding', policy.metadata.name),
      spec: {
        policyName: policy.metadata.name,
        // The namespace's own Declarations; none yet (a new namespace before the sync): no mutation, never a denial.
        paramRef: { name: DECLARATIONS.name, parameterNotFoundAction: 'Allow' },
        matchResources: { namespaceSelector: namespaceSelector(config) },
      },
    });
  }
  return out;
}
