// serve keeps one `Declarations` (extguard.io) named `extguard` per judged namespace: what the
// namespace may reach as the judge computes it, and the ExternalName Services it may inject.
// The native policies read it as their params (src/native/), so the API server judges with
// the webhook's data while the webhook is down.
//
// Every replica writes: content is a pure function of the catalog and the config, sorted, and
// written by server-side apply with one field manager (`extguard`, force), so two replicas
// write the same bytes and never conflict. Writes are batched on a tick (at most one write per
// namespace per tick, 1 s by default) and only for namespaces whose content changed since this
// replica last wrote them; a namespace no longer judged (deleted, exempt, mode off) loses its
// Declarations. At start, and every resync, the objects in the cluster are listed so that
// stale ones left by another replica or an older config go too.

import { HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig } from '../kube/client.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { DECLARATIONS_API_VERSION, DECLARATIONS_KIND, DECLARATIONS_NAME, DECLARATIONS_PLURAL } from '../native/declarations.ts';
import { NATIVE_LABELS } from '../native/common.ts';
import { declaredServices, serviceNamesByNamespace, type DeclaredService } from '../native/injection.ts';
import { modeFor } from '../policy/judge.ts';
import { normalizeHost } from '../policy/hosts.ts';
import { describeError } from './informers.ts';
import { kubeRequest } from './kube-request.ts';
import type { CatalogSnapshot, CatalogSource } from './snapshot.ts';

export type { DeclaredService };

export interface DeclarationsSpec {
  hosts: string[];
  services: DeclaredService[];
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What each judged namespace's Declarations holds: namespaces that exist (a Namespace object),
 * not exempt and not in mode off. Hosts: every allowedHosts pattern and every ExternalName
 * target of the namespace and of the shared namespace, normalised and sorted. That is at least
 * what the judge counts as declared (it also drops a target that is itself internal, which the
 * native policy never denies anyway), so the native layer is never stricter for want of a host.
 */
export function desiredDeclarations(snapshot: CatalogSnapshot, config: Config): Map<string, DeclarationsSpec> {
  const shared = config.sharedNamespace;
  const allowed = config.allowedHosts.map(normalizeHost);
  const out = new Map<string, DeclarationsSpec>();
  const byNamespace = serviceNamesByNamespace(snapshot);
  for (const ns of [...snapshot.namespaces()].sort(byText)) {
    if (snapshot.namespaceLabels(ns) === undefined) continue; // known only from a Service's namespace
    if (modeFor(ns, snapshot, config).mode === 'off') continue;
    const hosts = new Set(allowed);
    for (const n of [ns, ...(shared !== undefined && shared !== ns ? [shared] : [])]) for (const h of snapshot.externalNames(n)) hosts.add(h);
    // As injection finds them (src/native/injection.ts, the webhook's own resolution).
    const services = declaredServices(ns, snapshot, shared, byNamespace);
    out.set(ns, { hosts: [...hosts].sort(byText), services });
  }
  return out;
}

/** The object serve applies: the same bytes from every replica for the same spec. */
export function declarationsObject(namespace: string, spec: DeclarationsSpec): Record<string, unknown> {
  return {
    apiVersion: DECLARATIONS_API_VERSION,
    kind: DECLARATIONS_KIND,
    metadata: { name: DECLARATIONS_NAME, namespace, labels: NATIVE_LABELS },
    spec,
  };
}

export interface DeclarationsSync {
  /** Stops the rounds; resolves once a round under way has finished. */
  stop(): Promise<void>;
}

export interface SyncOptions {
  kc: KubeConfig;
  catalog: CatalogSource;
  config: () => Config;
  logger: Logger;
  /** Between rounds (and so the least time between two writes of one namespace). */
  tickMs?: number;
  /** How often the objects in the cluster are listed again, to remove ones this replica did not write. */
  resyncMs?: number;
}

/** How often a replica looks again for a CRD that was not there. */
const RETRY_ABSENT_MS = 30_000;

const BASE = `/apis/${DECLARATIONS_API_VERSION}`;
const path = (ns: string): string => `${BASE}/namespaces/${encodeURIComponent(ns)}/${DECLARATIONS_PLURAL}/${DECLARATIONS_NAME}`;

export function startDeclarationsSync(opts: SyncOptions): DeclarationsSync {
  const http = new IsomorphicFetchHttpLibrary();
  const tickMs = opts.tickMs ?? 1000;
  const resyncMs = opts.resyncMs ?? 5 * 60_000;
  /** Per namespace, the JSON this replica last wrote (or found); absent: none there. */
  const written = new Map<string, string>();
  let lastSnapshot: CatalogSnapshot | undefined;
  let lastConfig: Config | undefined;
  let listedAt = -Infinity;
  let running: Promise<void> | undefined;
  let stopped = false;

  const call = (method: HttpMethod, path: string, body?: string, contentType = 'application/json') =>
    kubeRequest(opts.kc, http, { method, path, ...(body !== undefined ? { body: { contentType, text: body } } : {}) });

  /** What is in the cluster now: namespaces that hold our object, with its spec as JSON. */
  const list = async (): Promise<void> => {
    const r = await call(HttpMethod.GET, `${BASE}/${DECLARATIONS_PLURAL}?fieldSelector=${encodeURIComponent(`metadata.name=${DECLARATIONS_NAME}`)}`);
    if (r.status !== 200) throw Object.assign(new Error(`list declarations: HTTP ${r.status}`), { statusCode: r.status });
    const items = (JSON.parse(r.text) as { items?: Array<{ metadata?: { namespace?: string }; spec?: unknown }> }).items ?? [];
    written.clear();
    for (const it of items) if (it.metadata?.namespace) written.set(it.metadata.namespace, canonical(normalizeSpec(it.spec)));
  };

  const round = async (): Promise<void> => {
    if (opts.catalog.notReady().length > 0) return; // a half-filled catalog would delete what it has not seen yet
    const snapshot = opts.catalog.current();
    const config = opts.config();
    const now = Date.now();
    const resync = now - listedAt >= resyncMs;
    if (!resync && snapshot === lastSnapshot && config === lastConfig) return;
    if (resync) { await list(); listedAt = now; }
    const desired = desiredDeclarations(snapshot, config);
    let failed = false;
    let applied = 0;
    let deleted = 0;
    for (const [ns, spec] of desired) {
      const json = canonical(spec);
      if (written.get(ns) === json) continue;
      const r = await call(HttpMethod.PATCH, `${path(ns)}?fieldManager=extguard&force=true`, JSON.stringify(declarationsObject(ns, spec)), 'application/apply-patch+yaml');
      // 404: the namespace went away meanwhile (a terminating one answers 403/409 to creates).
      if (r.status === 200 || r.status === 201) { written.set(ns, json); applied++; } else if (r.status !== 404 && !terminating(r)) {
        failed = true;
        opts.logger.warn({ namespace: ns, status: r.status, reason: statusReason(r.text) }, 'cannot write Declarations');
      }
    }
    for (const ns of [...written.keys()]) {
      if (desired.has(ns)) continue;
      const r = await call(HttpMethod.DELETE, path(ns));
      if (r.status === 200 || r.status === 202 || r.status === 404) { written.delete(ns); deleted++; } else {
        failed = true;
        opts.logger.warn({ namespace: ns, status: r.status, reason: statusReason(r.text) }, 'cannot delete stale Declarations');
      }
    }
    if (applied + deleted > 0) opts.logger.info({ applied, deleted, namespaces: desired.size }, 'Declarations synced');
    // A failed write is retried on the next tick: the snapshot is not marked as done.
    if (!failed) { lastSnapshot = snapshot; lastConfig = config; }
  };

  // Without the CRD (the native policies not installed: 404) or the RBAC (an older chart:
  // 403), say so once per distinct problem and look again every RETRY_ABSENT_MS.
  let lastProblem = '';
  let retryAt = 0;
  const tick = (): Promise<void> => {
    if (Date.now() < retryAt) return Promise.resolve();
    running ??= round()
      .then(() => { lastProblem = ''; })
      .catch((err) => {
        const problem = describeError(err);
        const absent = (err as { statusCode?: number }).statusCode === 404;
        if (problem !== lastProblem) {
          if (absent) opts.logger.info({}, 'the Declarations CRD (extguard.io) is not installed: native policies get no params from this replica (docs/native.md)');
          else opts.logger.warn({ err: problem }, 'Declarations sync failed; retrying');
        }
        lastProblem = problem;
        listedAt = -Infinity;
        retryAt = Date.now() + (absent ? RETRY_ABSENT_MS : 0);
      })
      .finally(() => { running = undefined; });
    return running;
  };
  const timer = setInterval(() => { if (!stopped) void tick(); }, tickMs);
  timer.unref();
  return {
    stop: async () => { stopped = true; clearInterval(timer); await running; },
  };
}

/** A namespace being deleted refuses new objects: not a failure, it is about to go. */
const terminating = (r: { status: number; text: string }): boolean => r.status === 403 && (r.text.includes('NamespaceTerminating') || r.text.includes('is being terminated'));

/** JSON with object keys sorted: what the API server returns and what we build compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byText(a, b))) : v));
}

/** A spec as read back, in the shape desiredDeclarations builds (so equal content compares equal). */
function normalizeSpec(spec: unknown): DeclarationsSpec {
  const s = (spec ?? {}) as Partial<DeclarationsSpec>;
  return { hosts: s.hosts ?? [], services: s.services ?? [] };
}

/** The Status message of an error answer, short and without the object (no request bodies in logs). */
function statusReason(text: string): string {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return `${s.reason ?? ''} ${(s.message ?? '').slice(0, 300)}`.trim();
  } catch {
    return '';
  }
}
