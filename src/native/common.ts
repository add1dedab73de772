// Shared pieces of the native admission policies (ValidatingAdmissionPolicy and
// MutatingAdmissionPolicy, CEL run by the API server itself): what every policy matches, the
// pod spec of each covered kind as a CEL variable, and the bindings per mode. Pure: config in,
// Kubernetes objects out (docs/native.md).
//
// The native layer must never be stricter than the webhook: a CEL expression may miss what the
// webhook catches, never deny what it admits (the corpus subset gate holds it to that).

import type { Config, ExceptableRule, ExceptionEntry, MaxVerdict } from '../config/config.ts';
import { globSource } from '../policy/exceptions.ts';
import type { Mode } from '../policy/types.ts';

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: unknown }; [k: string]: unknown };

export const MODE_LABEL = 'extguard.io/mode';
export const NATIVE_LABELS = { 'app.kubernetes.io/name': 'extguard', 'app.kubernetes.io/part-of': 'extguard', 'app.kubernetes.io/component': 'native-policies' };

/** The head every native object starts with: its type and its name, labelled as extguard's. */
export const nativeHead = (apiVersion: string, kind: string, name: string) => ({ apiVersion, kind, metadata: { name, labels: NATIVE_LABELS } });

/** A CEL string literal holding `text` (single-quoted; backslash and quote escaped). */
export const celString = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
/** A CEL list literal of the strings, sorted and without repeats (so the output is deterministic). */
export const celList = (items: Iterable<string>): string => `[${[...new Set(items)].sort().map(celString).join(', ')}]`;

/** The API version of admission policies for a Kubernetes minor version (v1 from 1.36 for MAP; VAP v1 since 1.30). */
export interface Target { minor: number }
export const DEFAULT_TARGET: Target = { minor: 36 };
export const vapVersion = (_t: Target): string => 'admissionregistration.k8s.io/v1';
/** MutatingAdmissionPolicy: v1 (GA) from 1.36, v1beta1 in 1.34–1.35 (feature gate and runtime-config), none before. */
export const mapVersion = (t: Target): string | undefined => (t.minor >= 36 ? 'admissionregistration.k8s.io/v1' : t.minor >= 34 ? 'admissionregistration.k8s.io/v1beta1' : undefined);

/** The nine covered kinds, as resource rules (same as the webhook's rules in manifests/base/webhooks.yaml). */
export const WORKLOAD_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'replicationcontrollers', 'podtemplates'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['jobs', 'cronjobs'] },
];

/**
 * Namespaces the shipped webhook configurations never send (their namespaceSelector), whatever
 * exemptNamespaces says: no native policy may judge or mutate where the webhook does not.
 */
export const WEBHOOK_SKIPPED_NAMESPACES = ['cert-manager', 'extguard-system', 'kube-system'];
export const SKIPPED_NAMESPACES_EXPRESSION = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: WEBHOOK_SKIPPED_NAMESPACES };

/** What every workload policy matches: the webhook entries' kinds, in the namespaces they are sent from. */
export const WORKLOAD_MATCH = { resourceRules: WORKLOAD_RULES, namespaceSelector: { matchExpressions: [SKIPPED_NAMESPACES_EXPRESSION] } };

/**
 * CEL variables every workload policy starts from: `podSpec` (the pod spec of any covered
 * kind) and `containers` (containers, initContainers and ephemeralContainers, in that order).
 */
export const POD_SPEC_VARIABLES = [
  {
    name: 'podSpec',
    expression: "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.kind == 'PodTemplate' ? object.template.spec : object.spec.template.spec",
  },
  {
    name: 'containers',
    expression: "(has(variables.podSpec.containers) ? variables.podSpec.containers : []) + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])",
  },
];

const ACTIONS: Record<Exclude<Mode, 'off'>, string[]> = { enforce: ['Deny'], warn: ['Warn'], audit: ['Audit'] };

/**
 * Bindings of one policy, one per mode, selecting namespaces as the webhook's modeFor does:
 * the label's mode; no label: defaultMode; an unknown label value: enforce; exempt namespaces
 * and `off` never. A label selector cannot say "In [warn] or absent", so the default mode gets
 * its own binding on DoesNotExist. `opts.paramRef`: the parameter object each binding reads
 * (a policy with a paramKind).
 */
export function modeBindings(policyName: string, config: Config, target: Target = DEFAULT_TARGET, opts: { paramRef?: Record<string, unknown> } = {}): KubeObject[] {
  const exempt = config.exemptNamespaces.length ? [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...config.exemptNamespaces].sort() }] : [];
  const bindings: Array<{ suffix: string; actions: string[]; expressions: object[] }> = [];
  const enforce = [{ key: MODE_LABEL, operator: 'NotIn', values: ['audit', 'off', 'warn'] }, ...(config.defaultMode === 'enforce' ? [] : [{ key: MODE_LABEL, operator: 'Exists' }])];
  bindings.push({ suffix: 'enforce', actions: ACTIONS.enforce, expressions: enforce });
  for (const mode of ['warn', 'audit'] as const) {
    bindings.push({ suffix: mode, actions: ACTIONS[mode], expressions: [{ key: MODE_LABEL, operator: 'In', values: [mode] }] });
    if (config.defaultMode === mode) bindings.push({ suffix: `${mode}-default`, actions: ACTIONS[mode], expressions: [{ key: MODE_LABEL, operator: 'DoesNotExist' }] });
  }
  return bindings.map((b) => ({
    ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicyBinding', `${policyName}-${b.suffix}`),
    spec: {
      policyName,
      ...(opts.paramRef ? { paramRef: opts.paramRef } : {}),
      validationActions: b.actions,
      matchResources: { namespaceSelector: { matchExpressions: [...b.expressions, ...exempt] } },
    },
  }));
}

/** The message tail every native denial carries: the webhook and the CLI give the full list and fixes. */
export const SEE_CHECK = 'run `extguard check` on the manifest (or read the webhook\'s warnings) for every finding and its fix';

/** The native policies that stand for an exceptable rule (exceptions and maxVerdict apply to them). */
const POLICY_RULES: ReadonlyArray<[string, ExceptableRule]> = [
  ['extguard-native-plaintext-credential', 'plaintext-credential'],
  ['extguard-native-undeclared-host', 'undeclared-external-host'],
  ['extguard-native-unknown-service', 'unknown-external-service'],
];

const ruleOfPolicy = (name: string): ExceptableRule | undefined => POLICY_RULES.find(([p]) => name === p || name.startsWith(`${p}-`))?.[1];

/**
 * Owner kinds an exception's kind reaches through: a Deployment's ReplicaSets (and their Pods),
 * a CronJob's Jobs. Matched leniently (any `-<suffix>` after the name): CEL may let more
 * through than the webhook, never less.
 */
const OWNER_KINDS: Record<string, string[]> = { Deployment: ['Deployment', 'ReplicaSet'], CronJob: ['CronJob', 'Job'] };

/**
 * One exception as a CEL condition, true when it selects the object: its namespace, and its
 * kind and name (a glob, as an anchored RE2 expression) on the object itself or on the
 * object's controller. No expiry: CEL has no clock, so an expired exception still excludes
 * here; the webhook denies it again, and the native layer only misses (docs/native.md).
 */
export function exceptionExpression(x: ExceptionEntry): string {
  const lit = (s: string): string => JSON.stringify(s);
  const name = x.name === undefined ? undefined : globSource(x.name);
  const own = [
    ...(x.kind !== undefined ? [`request.kind.kind == ${lit(x.kind)}`] : []),
    ...(name !== undefined ? [`object.metadata.?name.orValue('').matches(${lit(name)})`] : []),
  ];
  const ownerKinds = x.kind === undefined ? undefined : (OWNER_KINDS[x.kind] ?? [x.kind]);
  const owner = [
    'r.?controller.orValue(false) == true',
    ...(ownerKinds ? [`r.kind in [${ownerKinds.map(lit).join(', ')}]`] : []),
    ...(name !== undefined ? [`r.name.matches(${lit(`${name.slice(0, -1)}(-[a-z0-9]+)?$`)})`] : []),
  ];
  const selects = `(${own.length ? own.join(' && ') : 'true'}) || object.metadata.?ownerReferences.orValue([]).exists(r, ${owner.join(' && ')})`;
  return `(request.namespace == ${lit(x.namespace)} && (${selects}))`;
}

/**
 * The config's rule settings and exceptions over the generated policies, so the native layer
 * is never stricter than the webhook: maxVerdict off drops a rule's policies, warn binds them
 * Warn instead of Deny, and each exception naming a rule becomes a matchCondition of its policy.
 */
export function withRuleSettings(objects: readonly KubeObject[], config: Config): KubeObject[] {
  const policyRule = new Map<string, ExceptableRule>();
  for (const o of objects) {
    const rule = o.kind === 'ValidatingAdmissionPolicy' ? ruleOfPolicy(o.metadata.name) : undefined;
    if (rule) policyRule.set(o.metadata.name, rule);
  }
  const cap = (rule: ExceptableRule | undefined): MaxVerdict => (rule ? config.rules[rule]?.maxVerdict ?? 'deny' : 'deny');
  const out: KubeObject[] = [];
  for (const o of objects) {
    if (o.kind === 'ValidatingAdmissionPolicy' && policyRule.has(o.metadata.name)) {
      const rule = policyRule.get(o.metadata.name)!;
      if (cap(rule) === 'off') continue;
      const excepting = config.exceptions.filter((x) => x.rules.includes(rule));
      if (!excepting.length) { out.push(o); continue; }
      const spec = o['spec'] as { matchConditions?: object[] };
      // One condition for all: a policy holds at most 64, and a config may hold more exceptions.
      const condition = { name: 'not-excepted', expression: `!(${excepting.map(exceptionExpression).join(' || ')})` };
      out.push({ ...o, spec: { ...spec, matchConditions: [...(spec.matchConditions ?? []), condition] } });
      continue;
    }
    if (o.kind === 'ValidatingAdmissionPolicyBinding') {
      const spec = o['spec'] as { policyName: string; validationActions: string[] };
      const rule = policyRule.get(spec.policyName);
      if (cap(rule) === 'off') continue;
      if (cap(rule) === 'warn' && spec.validationActions.includes('Deny')) {
        out.push({ ...o, spec: { ...spec, validationActions: [...new Set(spec.validationActions.map((a) => (a === 'Deny' ? 'Warn' : a)))] } });
        continue;
      }
    }
    out.push(o);
  }
  return out;
}
