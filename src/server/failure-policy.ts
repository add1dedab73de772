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

import { X509Certificate } from 'node:crypto';

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
export interface WebhookView {
  name?: string;
  failurePolicy?: string;
  clientConfig?: { caBundle?: string; service?: { name?: string; namespace?: string } };
}
export interface WebhookConfigurationView {
  metadata?: { annotations?: Record<string, string> };
  webhooks?: WebhookView[];
}

/** What a webhook should have now; undefined holds it as it is (and the round is not settled). */
export type Want = (webhook: WebhookView, target: FailurePolicy) => FailurePolicy | undefined;

export interface PolicyChange { webhook: string; from: string; to: FailurePolicy }

export type JsonPatchOp = { op: 'test'; path: string; value: unknown } | { op: 'replace' | 'add'; path: string; value: unknown };

/**
 * The JSON patch that gives each webhook named in the annotation the policy `want` chooses.
 * Every replace is guarded by a test of the entry's name, so a list reordered since we read
 * it makes the API server refuse the patch (422) instead of changing the wrong entry.
 * The API server defaults an absent failurePolicy to Fail, so absent reads as Fail.
 */
export function failurePolicyPatch(cfg: WebhookConfigurationView, want: Want): { ops: JsonPatchOp[]; changes: PolicyChange[]; held: string[]; error?: string } {
  const parsed = parseFailurePolicies(cfg.metadata?.annotations?.[FAILURE_POLICY_ANNOTATION]);
  if (!parsed.ok) return { ops: [], changes: [], held: [], error: parsed.error };
  const ops: JsonPatchOp[] = [];
  const changes: PolicyChange[] = [];
  const held: string[] = [];
  (cfg.webhooks ?? []).forEach((w, i) => {
    const target = w.name === undefined ? undefined : parsed.targets.get(w.name);
    if (target === undefined || w.name === undefined) return;
    const now = w.failurePolicy ?? 'Fail';
    const to = want(w, target);
    if (to === undefined) { held.push(w.name); return; }
    if (now === to) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({ op: w.failurePolicy === undefined ? 'add' : 'replace', path: `/webhooks/${i}/failurePolicy`, value: to });
    changes.push({ webhook: w.name, from: now, to });
  });
  return { ops, changes, held };
}

/**
 * Enforcing: every listed webhook gets its annotated policy, but Fail only where the API
 * server can already call this replica: its caBundle verifies the certificate we serve (with
 * cert-manager, cainjector fills it in after the fact; until then every call would fail).
 */
export function enforced(servedChainPem: string): Want {
  return (w, target) => (target === 'Fail' && !bundleTrusts(w.clientConfig?.caBundle, servedChainPem) ? undefined : target);
}
/** Handing over (the last Ready replica stops): every listed webhook fails open until a replica is Ready again. */
export const handedOver: Want = () => 'Ignore';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** Whether a CA of the base64 `caBundle` issued a certificate of the chain we serve. Unparseable reads as no. */
export function bundleTrusts(caBundle: string | undefined, servedChainPem: string): boolean {
  if (!caBundle) return false;
  try {
    const cas = (Buffer.from(caBundle, 'base64').toString('utf8').match(PEM_BLOCK) ?? []).slice(0, 32).map((p) => new X509Certificate(p));
    const chain = (servedChainPem.match(PEM_BLOCK) ?? []).slice(0, 8).map((p) => new X509Certificate(p));
    return chain.some((c) => cas.some((ca) => c.checkIssued(ca) && c.verify(ca.publicKey)));
  } catch {
    return false;
  }
}

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
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean | null; terminating?: boolean | null } }>;
}

type Endpoint = NonNullable<EndpointSliceView['endpoints']>[number];
/** The API documents an absent `ready` as ready; a terminating endpoint is not, whatever a stale `ready` says. */
const isReady = (e: Endpoint): boolean => e.conditions?.ready !== false && e.conditions?.terminating !== true;
const isOwn = (e: Endpoint, own: ReadonlySet<string>): boolean => (e.addresses ?? []).some((a) => own.has(a));

/** Whether another replica than this one is Ready behind the Service. */
export function anotherReplicaReady(slices: EndpointSliceView[], ownAddresses: ReadonlySet<string>): boolean {
  return slices.some((s) => (s.endpoints ?? []).some((e) => !isOwn(e, ownAddresses) && isReady(e)));
}

/**
 * Whether the Service already sends to this replica: its own address is a Ready endpoint (the
 * kubelet's readiness probe passed and the endpoint controller caught up). Until then the API
 * server cannot reach it, and Fail would refuse every covered object.
 */
export function ownEndpointReady(slices: EndpointSliceView[], ownAddresses: ReadonlySet<string>): boolean {
  return slices.some((s) => (s.endpoints ?? []).some((e) => isOwn(e, ownAddresses) && isReady(e)));
}
