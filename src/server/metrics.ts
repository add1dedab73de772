// Prometheus metrics, on their own registry so tests can create several servers in one process.
// Labels are closed sets (endpoint, code, mode, rule, and the configured exceptions): never a
// name, host or value from a request.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WatchHealth } from '../catalog/informers.ts';

export interface Metrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'code'>;
  duration: Histogram<'endpoint'>;
  verdicts: Counter<'mode' | 'allowed'>;
  violations: Counter<'rule' | 'mode'>;
  /** Labelled by the exception's index and selection (config-bounded, never a request's name). */
  exceptionsApplied: Counter<'exception'>;
  mutations: Counter;
  catalogSynced: Gauge;
  webhookEnforcing: Gauge;
  reloads: Counter<'what' | 'result'>;
  lastReloadSuccessful: Gauge<'what'>;
  unjudged: Counter<'endpoint' | 'reason' | 'allowed'>;
  judgeRestarts: Counter<'reason'>;
  /** Validity of the serving certificate in use (the first one in --tls-cert): dates only, nothing secret. */
  certificateExpiry: Gauge;
  certificateNotBefore: Gauge;
}

/**
 * Buckets of extguard_admission_duration_seconds, in seconds. Past 1 s they mark the judge
 * deadline (2), the alert threshold (4) and the webhooks' timeoutSeconds (5), so that
 * histogram_quantile can tell how close answers come to the API server giving up.
 */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 5];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'extguard_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'extguard_admission_requests_total', help: 'Admission requests by endpoint and HTTP status code.', labelNames: ['endpoint', 'code'], registers }),
    duration: new Histogram({
      name: 'extguard_admission_duration_seconds',
      help: 'Time from request received to response written, by endpoint.',
      labelNames: ['endpoint'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    verdicts: new Counter({ name: 'extguard_verdicts_total', help: 'Validation verdicts by mode and outcome.', labelNames: ['mode', 'allowed'], registers }),
    violations: new Counter({ name: 'extguard_violations_total', help: 'Violations found by /validate, by rule and mode.', labelNames: ['rule', 'mode'], registers }),
    exceptionsApplied: new Counter({
      name: 'extguard_exceptions_applied_total',
      help: 'Reviews by /validate in which a configured exception turned violations into warnings, by exception ("#<index> <namespace>/<kind>/<name>" as in the config; * where it leaves a field out).',
      labelNames: ['exception'],
      registers,
    }),
    mutations: new Counter({ name: 'extguard_mutations_total', help: 'Admission requests that /mutate answered with a patch.', registers }),
    catalogSynced: new Gauge({ name: 'extguard_catalog_synced', help: '1 once the Service and Namespace caches have synced.', registers }),
    // 0 while the webhooks are still (or again) failing open: before the first Ready round,
    // or when this replica cannot set their failurePolicy (RBAC, a bad annotation).
    webhookEnforcing: new Gauge({ name: 'extguard_webhook_failure_policy_enforced', help: '1 when this replica has confirmed that its webhook configurations carry the failurePolicy of their extguard.io/failure-policy annotation (--webhook-configuration); 0 before that, or when it cannot.', registers }),
    reloads: new Counter({ name: 'extguard_reloads_total', help: 'Reloads of the configuration or the TLS certificate, by result.', labelNames: ['what', 'result'], registers }),
    // The counter above tells how often; this tells whether what is in force is what is on
    // disk now, which an alert needs: a failed reload keeps the old file in force, and the
    // next restart refuses the new one.
    lastReloadSuccessful: new Gauge({
      name: 'extguard_last_reload_successful',
      help: '1 when the last reload of the configuration or the TLS certificate succeeded (or none was needed since start), 0 when it failed and the previous one is still in force.',
      labelNames: ['what'],
      registers,
    }),
    unjudged: new Counter({
      name: 'extguard_unjudged_total',
      help: 'Reviews answered without a judgement (reason: timeout = past the judge deadline, overloaded = queue full, crashed = judge failed), by whether the answer allowed the object.',
      labelNames: ['endpoint', 'reason', 'allowed'],
      registers,
    }),
    judgeRestarts: new Counter({ name: 'extguard_judge_worker_restarts_total', help: 'Judge worker threads replaced, by reason (timeout, crashed).', labelNames: ['reason'], registers }),
    certificateExpiry: new Gauge({
      name: 'extguard_tls_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the serving certificate in use, as a Unix time; set at start and on every certificate reload.',
      registers,
    }),
    certificateNotBefore: new Gauge({
      name: 'extguard_tls_certificate_not_before_timestamp_seconds',
      help: 'notBefore of the serving certificate in use, as a Unix time; set at start and on every certificate reload.',
      registers,
    }),
  };
}

export type Reloadable = 'config' | 'certificate';

/** Counts a reload attempt and remembers whether the last one worked. */
export function recordReload(metrics: Metrics, what: Reloadable, ok: boolean): void {
  metrics.reloads.inc({ what, result: ok ? 'success' : 'failure' });
  metrics.lastReloadSuccessful.set({ what }, ok ? 1 : 0);
}

/** Records the validity of the certificate now served. */
export function observeCertificate(metrics: Metrics, validity: { notBefore: Date; notAfter: Date }): void {
  metrics.certificateExpiry.set(validity.notAfter.getTime() / 1000);
  metrics.certificateNotBefore.set(validity.notBefore.getTime() / 1000);
}

/**
 * Gauges read from the informers at scrape time. A synced cache stays ready while its watch
 * reconnects (see src/catalog/informers.ts); these say how stale it may be meanwhile.
 */
export function observeCatalogHealth(metrics: Metrics, health: () => WatchHealth[]): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'extguard_catalog_watch_healthy',
    help: '1 while the watch of this resource is connected; 0 while it reconnects and the cache may be stale.',
    labelNames: ['what'],
    registers,
    collect() {
      for (const h of health()) this.set({ what: h.what }, h.watching ? 1 : 0);
    },
  });
  new Gauge({
    name: 'extguard_catalog_last_sync_timestamp_seconds',
    help: 'When the cache of this resource was last known to match the API server: now while its watch is connected, the moment it failed while it reconnects; 0 before the first sync.',
    labelNames: ['what'],
    registers,
    collect() {
      const now = Date.now();
      for (const h of health()) this.set({ what: h.what }, !h.synced ? 0 : (h.watching ? now : h.since) / 1000);
    },
  });
}
