// Catalog from the cluster: informers (list + watch) on Services and Namespaces. Each event
// only marks the snapshot stale; the next admission request rebuilds it once. No API call is
// ever made per admission request.

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
  lastError?: string;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export function startInformerCatalog(kc: KubeConfig, logger: Logger, onSynced?: () => void): CatalogSource {
  const api = kc.makeApiClient(CoreV1Api);
  let stale = true;
  let stopped = false;
  let snapshot: CatalogSnapshot = EMPTY_CATALOG;
  const timers = new Set<NodeJS.Timeout>();

  const watch = (what: string, path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>): Watched => {
    const w: Watched = { what, informer: makeInformer(kc, path, list), synced: false };
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
      logger.warn({ what, err: w.lastError, retryInMs: delay }, 'watch failed; retrying');
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
