// `extguard serve`: wires config, catalog, TLS and the two listeners, and shuts down cleanly.

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readManifests, catalogFromDocuments } from '../catalog/files.ts';
import { startDeclarationsSync, type DeclarationsSync } from '../catalog/declarations-sync.ts';
import { loadKubeConfig, startInformerCatalog, type InformerCatalog } from '../catalog/informers.ts';
import { EMPTY_CATALOG, staticCatalog, type CatalogSource } from '../catalog/snapshot.ts';
import { DEFAULT_CONFIG } from '../config/config.ts';
import { loadPolicyFile, watchPolicyFile } from '../config/watch.ts';
import type { Logger } from '../log.ts';
import { compilePolicy, type Policy } from '../policy/judge.ts';
import { ensureDevCertificates } from '../tls/files.ts';
import { createWebhookApp, DEFAULT_BODY_LIMIT } from './app.ts';
import { trackInFlight } from './drain.ts';
import { JudgePool } from './judge-pool.ts';
import { applyEdgeLimits, edgeServerOptions, resolveEdgeLimits, type EdgeLimits } from './edge.ts';
import { createMetrics, observeCatalogHealth, observeCertificate, recordReload } from './metrics.ts';
import { certificateValidity, loadCertificate, watchCertificate } from './tls.ts';
import { startEnforcement, type Enforcement } from './enforcement.ts';
import { judgeWorkersForThisMachine } from './cores.ts';

export interface ServeOptions {
  port: number;
  metricsPort: number;
  bindAddress: string;
  tlsCert?: string;
  tlsKey?: string;
  config?: string;
  kubeconfig?: string;
  /** Use the in-cluster service account when no kubeconfig is given. */
  inCluster?: boolean;
  declarations?: string;
  bodyLimit?: number;
  /** Directory for the development certificate pair. */
  devCertDir?: string;
  /** How often certificate and config files are checked for changes. */
  pollIntervalMs?: number;
  /** Between two rounds of the Declarations sync (tests). */
  declarationsTickMs?: number;
  shutdownTimeoutMs?: number;
  /** Listener limits (timeouts, sizes); defaults in edge.ts. */
  edge?: Partial<EdgeLimits>;
  /** Judge worker threads (default 2) and the deadline of a review, queue time included (default 2000 ms). */
  judgeWorkers?: number;
  judgeTimeoutMs?: number;
  /** Admission body bytes read and parsed at once; past it requests get 503 (defaultInflightBytes). */
  inflightBytes?: number;
  /**
   * The Mutating- and ValidatingWebhookConfiguration (one name) whose failurePolicy this
   * replica sets once Ready and hands back to Ignore as the last Ready replica (enforcement.ts).
   * Needs the cluster (kubeconfig or in-cluster).
   */
  webhookConfiguration?: string;
  /** Tests only: enforcement resync period (default 5 s). */
  enforcementResyncMs?: number;
  /** Tests only: a worker script standing in for judge-worker.ts. */
  judgeWorkerUrl?: URL;
}

/** Below the webhook's timeoutSeconds (5 in manifests/), with room for the network and queueing. */
import { DEFAULT_JUDGE_TIMEOUT_MS } from './defaults.ts';
export { DEFAULT_JUDGE_TIMEOUT_MS };
/** Of the Pod's 30 s grace period: 5 s preStop, this, then --shutdown-timeout (20 s) of draining. */
const HANDOVER_TIMEOUT_MS = 4000;

export interface RunningServer {
  port: number;
  metricsPort: number;
  caFile?: string;
  close(): Promise<void>;
}

/**
 * Why `dir` cannot be created or written, from access(2) on it or its nearest existing parent:
 * EROFS or EACCES, or undefined when it can. Asked after a failed write because Node's
 * recursive mkdir reports a read-only file system as ENOENT.
 */
function unwritable(dir: string): string | undefined {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    accessSync(probe, constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'not writable';
  }
}

export async function serve(opts: ServeOptions, logger: Logger): Promise<RunningServer> {
  const edge = resolveEdgeLimits(opts.edge);
  if (opts.webhookConfiguration && !(opts.kubeconfig || opts.inCluster)) {
    throw new Error('--webhook-configuration needs the cluster (--kubeconfig, or in-cluster credentials): it sets that configuration\'s failurePolicy');
  }
  let policy: Policy = opts.config ? loadPolicyFile(opts.config) : compilePolicy(DEFAULT_CONFIG);

  let certFile = opts.tlsCert;
  let keyFile = opts.tlsKey;
  let caFile: string | undefined;
  if (!certFile || !keyFile) {
    if (certFile || keyFile) throw new Error('--tls-cert and --tls-key go together');
    const dir = resolve(opts.devCertDir ?? 'certs');
    const dev = await ensureDevCertificates(dir).catch((err: NodeJS.ErrnoException) => {
      // A read-only root or a directory owned by someone else (the container image's /app):
      // say what to pass instead of a bare EACCES from mkdir.
      const reason = unwritable(dir);
      if (!reason) throw err;
      throw new Error(`no --tls-cert given, and the development certificate cannot be written to ${dir} (${reason}).`
        + ' Pass --tls-cert and --tls-key (PEM; in a container, mount a kubernetes.io/tls Secret at /etc/extguard/tls and pass'
        + ' --tls-cert=/etc/extguard/tls/tls.crt --tls-key=/etc/extguard/tls/tls.key), or run serve from a writable directory');
    });
    ({ certFile, keyFile, caFile } = dev);
    logger.warn({ dir, created: dev.created }, 'no --tls-cert given: serving with the development certificate (not for production)');
  }
  const tlsPaths = { certFile, keyFile };
  const tlsOptions = loadCertificate(tlsPaths);
  // What the API server must trust before a webhook may fail closed (enforcement.ts).
  let servedChain = String(tlsOptions.cert);

  let catalog: CatalogSource;
  let informers: InformerCatalog | undefined;
  const kc = opts.kubeconfig || opts.inCluster ? loadKubeConfig(opts.kubeconfig) : undefined;
  if (kc) {
    catalog = informers = startInformerCatalog(kc, logger, () => metrics.catalogSynced.set(1));
  } else if (opts.declarations) {
    const docs = readManifests([opts.declarations]);
    catalog = staticCatalog(catalogFromDocuments(docs));
    logger.info({ declarations: opts.declarations, namespaces: catalog.current().namespaces().size }, 'serving with declarations from a file (no cluster)');
  } else {
    catalog = staticCatalog(EMPTY_CATALOG);
    logger.warn('no cluster and no --declarations: serving with an empty catalog, so every external host is undeclared');
  }

  // The native policies' params (docs/native.md): every replica writes the same content.
  const declarations: DeclarationsSync | undefined = kc
    ? startDeclarationsSync({ kc, catalog, config: () => policy.config, logger, ...(opts.declarationsTickMs ? { tickMs: opts.declarationsTickMs } : {}) })
    : undefined;

  const metrics = createMetrics();
  observeCertificate(metrics, certificateValidity(tlsOptions));
  // What was loaded at start is what is on disk: nothing has failed yet.
  metrics.lastReloadSuccessful.set({ what: 'certificate' }, 1);
  if (opts.config) metrics.lastReloadSuccessful.set({ what: 'config' }, 1);
  if (informers) observeCatalogHealth(metrics, informers.health);
  if (catalog.notReady().length === 0) metrics.catalogSynced.set(1);
  let shuttingDown = false;
  const deadlineMs = opts.judgeTimeoutMs ?? DEFAULT_JUDGE_TIMEOUT_MS;
  const workers = opts.judgeWorkers ?? judgeWorkersForThisMachine();
  const judge = new JudgePool({
    size: workers,
    deadlineMs,
    // Enough to absorb a burst of ordinary reviews; bounded in bytes so queued bodies cannot
    // exhaust memory (a body may be up to bodyLimit).
    maxQueued: 32 * workers,
    maxQueuedChars: 4 * (opts.bodyLimit ?? DEFAULT_BODY_LIMIT),
    state: () => ({ policy, catalog: catalog.current() }),
    logger,
    onRestart: (reason) => metrics.judgeRestarts.inc({ reason }),
    ...(opts.judgeWorkerUrl ? { workerUrl: opts.judgeWorkerUrl } : {}),
  });
  const app = createWebhookApp(
    {
      catalog: () => catalog.current(),
      policy: () => policy,
      notReady: () => (shuttingDown ? ['shutting down'] : catalog.notReady()),
    },
    { logger, metrics, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, judge, deadlineMs, ...(opts.inflightBytes ? { inflightBytes: opts.inflightBytes } : {}) },
  );

  const https: HttpsServer = createHttpsServer({ ...tlsOptions, ...edgeServerOptions(edge) }, app);
  applyEdgeLimits(https, edge, logger);
  const drainer = trackInFlight(https);
  const metricsServer: HttpServer = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      metrics.registry.metrics().then(
        (text) => { res.writeHead(200, { 'Content-Type': metrics.registry.contentType }); res.end(text); },
        () => { res.writeHead(500); res.end(); },
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('metrics are at /metrics\n');
    }
  });

  const interval = opts.pollIntervalMs ?? 2000;
  const unwatch = [
    watchCertificate(tlsPaths, (o) => { const validity = certificateValidity(o); https.setSecureContext(o); servedChain = String(o.cert); observeCertificate(metrics, validity); }, logger, (ok) => recordReload(metrics, 'certificate', ok), interval),
    ...(opts.config
      ? [watchPolicyFile(opts.config, (p) => { policy = p; }, logger, (ok) => recordReload(metrics, 'config', ok), interval)]
      : []),
  ];

  const listen = (server: HttpServer | HttpsServer, port: number): Promise<number> =>
    new Promise((res, rej) => {
      server.once('error', rej);
      server.listen(port, opts.bindAddress, () => { server.off('error', rej); res((server.address() as AddressInfo).port); });
    });
  let port: number;
  let metricsPort: number;
  try {
    port = await listen(https, opts.port);
    metricsPort = await listen(metricsServer, opts.metricsPort);
  } catch (err) {
    unwatch.forEach((u) => u());
    https.close();
    await judge.close();
    await declarations?.stop();
    await catalog.stop();
    throw new Error(`cannot listen on ${opts.bindAddress}: ${(err as Error).message}`);
  }
  logger.info({ port, metricsPort, bindAddress: opts.bindAddress }, 'extguard webhook listening (HTTPS), metrics on plain HTTP');

  // Listening now: Ready as soon as the catalog is, which is when /readyz says 200.
  metrics.webhookEnforcing.set(0);
  const enforcement: Enforcement | undefined = kc && opts.webhookConfiguration
    ? startEnforcement({
      kc, configuration: opts.webhookConfiguration, logger,
      ready: () => !shuttingDown && catalog.notReady().length === 0,
      servedChain: () => servedChain,
      onEnforcing: (ok) => metrics.webhookEnforcing.set(ok ? 1 : 0),
      ...(opts.enforcementResyncMs ? { resyncMs: opts.enforcementResyncMs } : {}),
    })
    : undefined;

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    unwatch.forEach((u) => u());
    // Before draining: the API server stops needing this replica only once the policy is
    // Ignore or another replica is Ready. Bounded, so a lost API server cannot eat the grace period.
    if (enforcement) await enforcement.handOver(HANDOVER_TIMEOUT_MS);
    const inFlight = drainer.inFlight();
    const cut = await drainer.drain(opts.shutdownTimeoutMs ?? 20_000);
    if (cut > 0) logger.warn({ cut }, 'shutdown timeout reached: closed connections with requests still in flight');
    else logger.info({ finished: inFlight }, 'in-flight requests finished');
    metricsServer.close();
    metricsServer.closeAllConnections();
    await judge.close();
    await declarations?.stop();
    await catalog.stop();
  };
  return { port, metricsPort, ...(caFile ? { caFile } : {}), close };
}
