// The install window, decided: which failurePolicy each of extguard's own webhooks should
// have now. Pure; src/server/enforcement.ts reads and patches the configurations.
//
// The shipped webhook configurations start with failurePolicy Ignore, so while no replica is
// Ready (install, an image that cannot start, every replica stopped) nothing is refused. The
// policy to enforce once a replica is Ready and its catalog synced is written next to it, in
// the configuration's annotation extguard.io/failure-policy, by the same manifest or chart
// that an operator edits:
//
//   extguard.io/failure-policy: "validate.extguard.io=Fail,configmaps.extguard.io=Ignore"
//
// Webhooks the annotation does not name are never touched, so a configuration extguard does
// not own, or an entry an operator manages by hand, stays as it is.

export type FailurePolicy = 'Fail' | 'Ignore';

export const FAILURE_POLICY_ANNOTATION = 'extguard.io/failure-policy';

/** Bounds what a (cluster-admin written, but still) malformed annotation can make us do. */
const MAX_ENTRIES = 64;

export type ParsedTargets = { ok: true; targets: Map<string, FailurePolicy> } | { ok: false; error: string };

/** Reads the annotation; an invalid one changes nothing (the caller logs the reason). */
export function parseFailurePolicies(value: string | undefined): ParsedTargets {
  if (value === undefined || value.trim() === '') return { ok: false, error: `no ${FAILURE_POLICY_ANNOTATION} annotation` };
  const targets = new Map<string, FailurePolicy>();
  const entries = value.split(',');
  if (entries.length > MAX_ENTRIES) return { ok: false, error: `${FAILURE_POLICY_ANNOTATION}: more than ${MAX_ENTRIES} entries` };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = eq < 0 ? '' : entry.slice(0, eq).trim();
    const policy = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (name === '' || (policy !== 'Fail' && policy !== 'Ignore')) {
      return { ok: false, error: `${FAILURE_POLICY_ANNOTATION}: "${entry.slice(0, 120)}" is not <webhook name>=Fail|Ignore` };
    }
    if (targets.has(name)) return { ok: false, error: `${FAILURE_POLICY_ANNOTATION}: ${name} is listed twice` };
    targets.set(name, policy);
  }
  if (targets.size === 0) return { ok: false, error: `${FAILURE_POLICY_ANNOTATION} names no webhook` };
  return { ok: true, targets };
}

/** The parts of a Mutating/ValidatingWebhookConfiguration this module reads. */
export interface WebhookConfigurationView {
  metadata?: { annotations?: Record<string, string> };
  webhooks?: Array<{ name?: string; failurePolicy?: string; clientConfig?: { service?: { name?: string; namespace?: string } } }>;
}

export interface PolicyChange { webhook: string; from: string; to: FailurePolicy }

export type JsonPatchOp = { op: 'test'; path: string; value: unknown } | { op: 'replace' | 'add'; path: string; value: unknown };

/**
 * The JSON patch that gives each webhook named in the annotation the policy `want` chooses.
 * Every replace is guarded by a test of the entry's name, so a list reordered since we read
 * it makes the API server refuse the patch (422) instead of changing the wrong entry.
 * The API server defaults an absent failurePolicy to Fail, so absent reads as Fail.
 */
export function failurePolicyPatch(cfg: WebhookConfigurationView, want: (webhook: string, target: FailurePolicy) => FailurePolicy): { ops: JsonPatchOp[]; changes: PolicyChange[]; error?: string } {
  const parsed = parseFailurePolicies(cfg.metadata?.annotations?.[FAILURE_POLICY_ANNOTATION]);
  if (!parsed.ok) return { ops: [], changes: [], error: parsed.error };
  const ops: JsonPatchOp[] = [];
  const changes: PolicyChange[] = [];
  (cfg.webhooks ?? []).forEach((w, i) => {
    const target = w.name === undefined ? undefined : parsed.targets.get(w.name);
    if (target === undefined || w.name === undefined) return;
    const now = w.failurePolicy ?? 'Fail';
    const to = want(w.name, target);
    if (now === to) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({ op: w.failurePolicy === undefined ? 'add' : 'replace', path: `/webhooks/${i}/failurePolicy`, value: to });
    changes.push({ webhook: w.name, from: now, to });
  });
  return { ops, changes };
}

/** Enforcing: every listed webhook gets its annotated policy. */
export const enforced = (_webhook: string, target: FailurePolicy): FailurePolicy => target;
/** Handing over (the last Ready replica stops): every listed webhook fails open until a replica is Ready again. */
export const handedOver = (): FailurePolicy => 'Ignore';

/** The Services the managed webhooks call (namespace/name), to find the other replicas behind them. */
export function calledServices(cfg: WebhookConfigurationView): Array<{ namespace: string; name: string }> {
  const parsed = parseFailurePolicies(cfg.metadata?.annotations?.[FAILURE_POLICY_ANNOTATION]);
  if (!parsed.ok) return [];
  const seen = new Map<string, { namespace: string; name: string }>();
  for (const w of cfg.webhooks ?? []) {
    const s = w.clientConfig?.service;
    if (w.name === undefined || !parsed.targets.has(w.name) || !s?.name || !s.namespace) continue;
    seen.set(`${s.namespace}/${s.name}`, { namespace: s.namespace, name: s.name });
  }
  return [...seen.values()];
}

/** The parts of an EndpointSlice this module reads. */
export interface EndpointSliceView {
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean | null } }>;
}

/**
 * Whether another replica than this one is Ready behind the Service: endpoints whose
 * addresses are not ours and whose `ready` condition is true (a terminating Pod's is false;
 * the API documents an absent `ready` as ready).
 */
export function anotherReplicaReady(slices: EndpointSliceView[], ownAddresses: ReadonlySet<string>): boolean {
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      if ((e.addresses ?? []).some((a) => ownAddresses.has(a))) continue;
      if (e.conditions?.ready !== false) return true;
    }
  }
  return false;
}
