// Catalog from the cluster: informers (list + watch) on Services and Namespaces. No API call
// is ever made per admission request.
//
// Memory and churn, with 10k Services: the informer cache keeps, per object, its name,
// namespace, resourceVersion and judge record (never the whole object with its managedFields
// and last-applied-configuration), lists are read in pages, and each event is applied in
// place to one index (LiveCatalog), so an update costs a few map operations and reaches each
// judge worker as that one change, not as a rebuild and a copy of every record. An update
// that changes nothing the judge reads (status, labels, other annotations) changes nothing.
//
// Readiness: a cache that has synced once stays ready while its watch reconnects (an API
// server restart, a dropped connection). It keeps serving the last-known catalog, as kube's
// own components do: turning every replica unready during an API server blip would fail
// every admission at once under failurePolicy Fail. health() tells the truth instead (watch
// down since when, and why), for the metrics and the logs.

import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { kubeRequest } from './kube-request.ts';
import { LiveCatalog, toNamespaceRecord, toServiceRecord, type CatalogChange, type CatalogSource, type NamespaceRecord, type ServiceRecord } from './snapshot.ts';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${kubeconfigPath ?? '(in-cluster)'} has no current cluster`);
  return kc;
}

/** What the informer cache keeps of an object: what its list/watch bookkeeping needs, and the record. */
interface Kept<R> extends KubernetesObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  record?: R;
}

interface Watched {
  what: string;
  informer: ListWatch<Kept<unknown>>;
  synced: boolean;
  /** The last list/watch attempt succeeded and the watch has not failed since. */
  watching: boolean;
  /** When `watching` last changed (ms since the epoch). */
  since: number;
  lastError?: string;
}

/** One watched resource, as health() reports it. */
export interface WatchHealth {
  what: 'services' | 'namespaces';
  /** The cache has been filled from a list at least once. */
  synced: boolean;
  /** Its watch is connected; false while it reconnects (the cache may be stale). */
  watching: boolean;
  /** When `watching` last changed, ms since the epoch. */
  since: number;
  /** Why the last attempt failed (no credentials, no bodies). */
  lastError?: string;
}

export interface InformerCatalog extends CatalogSource {
  health(): WatchHealth[];
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Objects per list page: bounds the memory a list of 10k Services takes while it is read. */
const LIST_PAGE = 500;

/** A Service or Namespace reduced to what the cache keeps (a shared string for name and namespace). */
function keepService(obj: unknown): Kept<ServiceRecord> {
  const record = toServiceRecord(obj);
  const meta = (obj as KubernetesObject).metadata ?? {};
  return { metadata: { name: record?.name ?? meta.name ?? '', namespace: record?.namespace ?? meta.namespace ?? '', resourceVersion: meta.resourceVersion ?? '' }, ...(record ? { record } : {}) };
}

function keepNamespace(obj: unknown): Kept<NamespaceRecord> {
  const record = toNamespaceRecord(obj);
  const meta = (obj as KubernetesObject).metadata ?? {};
  return { metadata: { name: record?.name ?? meta.name ?? '', resourceVersion: meta.resourceVersion ?? '' }, ...(record ? { record } : {}) };
}

/** client-node's watch, with each object reduced as it arrives. */
class KeepingWatch extends Watch {
  private readonly keep: (obj: unknown) => Kept<unknown>;
  constructor(kc: KubeConfig, keep: (obj: unknown) => Kept<unknown>) {
    super(kc);
    this.keep = keep;
  }
  override watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, obj) => {
      // ERROR carries a Status (its code 410 restarts the list); BOOKMARK only a resourceVersion.
      callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.keep(obj) : obj);
    }, done);
  }
}

/** Lists `path` in pages, keeping each item reduced; the list's resourceVersion starts the watch. */
async function listKept(kc: KubeConfig, http: IsomorphicFetchHttpLibrary, path: string, keep: (obj: unknown) => Kept<unknown>): Promise<KubernetesListObject<Kept<unknown>>> {
  const items: Kept<unknown>[] = [];
  let resourceVersion = '';
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(LIST_PAGE), ...(next ? { continue: next } : {}) });
    const res = await kubeRequest(kc, http, { method: HttpMethod.GET, path: `${path}${path.includes('?') ? '&' : '?'}${query}` });
    if (res.status !== 200) throw Object.assign(new Error(`list ${path}: HTTP ${res.status}`), { statusCode: res.status });
    const page = JSON.parse(res.text) as { metadata?: { resourceVersion?: string; continue?: string }; items?: unknown[] };
    for (const item of page.items ?? []) items.push(keep(item));
    resourceVersion = page.metadata?.resourceVersion ?? '';
    next = page.metadata?.continue || undefined;
  } while (next);
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items };
}

export function startInformerCatalog(kc: KubeConfig, logger: Logger, onSynced?: () => void): InformerCatalog {
  const http = new IsomorphicFetchHttpLibrary();
  const live = new LiveCatalog();
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const watch = (what: string, path: string, keep: (obj: unknown) => Kept<unknown>, change: (kept: Kept<unknown>, removed: boolean) => CatalogChange | undefined): Watched => {
    const informer = new ListWatch<Kept<unknown>>(path, new KeepingWatch(kc, keep), () => listKept(kc, http, path, keep), false);
    const w: Watched = { what, informer, synced: false, watching: false, since: Date.now() };
    const put = (kept: Kept<unknown>): void => { const c = change(kept, false); if (c) live.apply(c); };
    w.informer.on('add', put);
    w.informer.on('update', put);
    w.informer.on('delete', (kept: Kept<unknown>) => { const c = change(kept, true); if (c) live.apply(c); });
    let delay = RETRY_MIN_MS;
    let failedThisRound = false;
    // The client stops an informer on any error other than 410/timeout; we restart it with backoff.
    w.informer.on('error', (err: unknown) => {
      failedThisRound = true;
      w.lastError = describeError(err);
      if (w.watching) {
        w.watching = false;
        w.since = Date.now();
      }
      logger.warn({ what, err: w.lastError, retryInMs: delay, ...(w.synced ? { staleSince: new Date(w.since).toISOString() } : {}) }, w.synced ? 'watch failed; serving the last-known catalog while retrying' : 'watch failed; retrying');
      if (stopped) return;
      const t = setTimeout(() => { timers.delete(t); void run(); }, delay);
      timers.add(t);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    });
    const run = async (): Promise<void> => {
      failedThisRound = false;
      await w.informer.start();
      if (!failedThisRound && !stopped) {
        delay = RETRY_MIN_MS;
        if (w.synced && !w.watching) {
          logger.info({ what, downMs: Date.now() - w.since, count: w.informer.list().length }, 'watch re-established');
        }
        if (!w.watching) {
          w.watching = true;
          w.since = Date.now();
        }
        if (!w.synced) {
          w.synced = true;
          delete w.lastError;
          logger.info({ what, count: w.informer.list().length }, 'cache synced');
          if (watched.every((x) => x.synced)) onSynced?.();
        }
      }
    };
    queueMicrotask(() => void run());
    return w;
  };

  const watched: Watched[] = [
    watch('services', '/api/v1/services', keepService, (kept, removed) => {
      const { name, namespace = '' } = kept.metadata;
      if (removed) return { kind: 'service', namespace, name };
      const record = kept.record as ServiceRecord | undefined;
      return record ? { kind: 'service', namespace, name, record } : undefined;
    }),
    watch('namespaces', '/api/v1/namespaces', keepNamespace, (kept, removed) => {
      if (removed) return { kind: 'namespace', name: kept.metadata.name };
      const record = kept.record as NamespaceRecord | undefined;
      return record ? { kind: 'namespace', name: record.name, record } : undefined;
    }),
  ];

  return {
    current: () => live.current(),
    notReady() {
      return watched.filter((w) => !w.synced).map((w) => `${w.what} cache not synced${w.lastError ? ` (${w.lastError})` : ''}`);
    },
    health() {
      return watched.map((w) => ({
        what: w.what as WatchHealth['what'],
        synced: w.synced,
        watching: w.watching,
        since: w.since,
        ...(w.lastError !== undefined && !w.watching ? { lastError: w.lastError } : {}),
      }));
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(watched.map((w) => w.informer.stop()));
    },
  };
}

/** Short, credential-free description of a client error (no request headers, no bodies). */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; cause?: { code?: unknown } };
    const code = e.statusCode ?? e.code ?? e.cause?.code;
    const msg = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : 'error';
    return code !== undefined ? `${String(code)}: ${msg}` : msg;
  }
  return String(err);
}
