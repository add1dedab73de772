// Catalog from the cluster: informers (list + watch) on Services and Namespaces. Each event
// only marks the snapshot stale; the next admission request rebuilds it once. No API call is
// ever made per admission request.
//
// Readiness: a cache that has synced once stays ready while its watch reconnects (an API
// server restart, a dropped connection). It keeps serving the last-known catalog, as kube's
// own components do: turning every replica unready during an API server blip would fail
// every admission at once under failurePolicy Fail. health() tells the truth instead (watch
// down since when, and why), for the metrics and the logs.

import { CoreV1Api, KubeConfig, makeInformer, type KubernetesListObject, type KubernetesObject, type V1Namespace, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../log.ts';
import { buildSnapshot, EMPTY_CATALOG, toNamespaceRecord, toServiceRecord, type CatalogSnapshot, type CatalogSource } from './snapshot.ts';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${kubeconfigPath ?? '(in-cluster)'} has no current cluster`);
  return kc;
}

interface Watched {
  what: string;
  informer: ReturnType<typeof makeInformer<KubernetesObject>>;
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

export function startInformerCatalog(kc: KubeConfig, logger: Logger, onSynced?: () => void): InformerCatalog {
  const api = kc.makeApiClient(CoreV1Api);
  let stale = true;
  let stopped = false;
  let snapshot: CatalogSnapshot = EMPTY_CATALOG;
  const timers = new Set<NodeJS.Timeout>();

  const watch = (what: string, path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>): Watched => {
    const w: Watched = { what, informer: makeInformer(kc, path, list), synced: false, watching: false, since: Date.now() };
    const touch = (): void => { stale = true; };
    w.informer.on('add', touch);
    w.informer.on('update', touch);
    w.informer.on('delete', touch);
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
        stale = true;
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
    watch('services', '/api/v1/services', () => api.listServiceForAllNamespaces() as Promise<KubernetesListObject<V1Service>>),
    watch('namespaces', '/api/v1/namespaces', () => api.listNamespace() as Promise<KubernetesListObject<V1Namespace>>),
  ];
  const [services, namespaces] = watched as [Watched, Watched];

  return {
    current() {
      if (stale) {
        stale = false;
        snapshot = buildSnapshot(
          services.informer.list().flatMap((o) => toServiceRecord(o) ?? []),
          namespaces.informer.list().flatMap((o) => toNamespaceRecord(o) ?? []),
        );
      }
      return snapshot;
    },
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
function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; cause?: { code?: unknown } };
    const code = e.statusCode ?? e.code ?? e.cause?.code;
    const msg = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : 'error';
    return code !== undefined ? `${String(code)}: ${msg}` : msg;
  }
  return String(err);
}
