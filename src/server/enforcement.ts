// The install window, carried out: once this replica is Ready (TLS loaded, catalog synced),
// give extguard's own webhooks the failurePolicy their annotation asks for; when the last
// Ready replica stops, hand them back to Ignore. What to set is decided in failure-policy.ts.
//
// Why extguard does this itself (as Kyverno manages its own webhooks): a webhook with
// failurePolicy Fail is active the moment it is applied, so an install, or a rollout whose
// image cannot start, would refuse every covered object in every judged namespace until a
// replica is Ready. Nothing outside extguard knows when that is.
//
// What it cannot cover, by design: every replica crashing (SIGKILL, OOM, a node lost) leaves
// Fail in place, which is what failurePolicy Fail means (docs/operations.md "Install window").

import { networkInterfaces } from 'node:os';
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.ts';
import { anotherReplicaReady, calledServices, enforced, failurePolicyPatch, handedOver, type EndpointSliceView, type FailurePolicy, type WebhookConfigurationView } from './failure-policy.ts';

const KINDS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const;
const FIELD_MANAGER = 'extguard';
/** Each API call; the hand-over runs inside the shutdown grace period. */
const CALL_TIMEOUT_MS = 5000;

export interface EnforcementOptions {
  kc: KubeConfig;
  /** Name of the Mutating- and ValidatingWebhookConfiguration (both are called this). */
  configuration: string;
  ready: () => boolean;
  logger: Logger;
  /** Called with whether every managed webhook has its annotated policy, after each round. */
  onEnforcing?: (enforcing: boolean) => void;
  /**
   * Rounds while Ready (default 5 s): `kubectl apply` of the manifests replaces the webhooks
   * list, Ignore included, and this bounds how long that re-opens the window. Two GETs a round.
   */
  resyncMs?: number;
  /** How often readiness is looked at, so enforcement follows it closely (default 1 s). */
  tickMs?: number;
}

export interface Enforcement {
  /** Stops the rounds; when no other replica is Ready, sets the managed webhooks to Ignore. */
  handOver(): Promise<void>;
  stop(): void;
}

interface Response { status: number; body: unknown }

async function call(kc: KubeConfig, http: IsomorphicFetchHttpLibrary, method: HttpMethod, path: string, body?: { type: string; value: unknown }): Promise<Response> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const ctx = new RequestContext(server + path, method);
  ctx.setHeaderParam('Accept', 'application/json');
  if (body) {
    ctx.setHeaderParam('Content-Type', body.type);
    ctx.setBody(JSON.stringify(body.value));
  }
  ctx.setSignal(AbortSignal.timeout(CALL_TIMEOUT_MS));
  await kc.applySecurityAuthentication(ctx);
  const res = await http.send(ctx).toPromise();
  const text = await res.body.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.httpStatusCode, body: parsed };
}

/** The API server's Status message, which names the resource and never carries a request body. */
const reason = (r: Response): string => (typeof (r.body as { message?: unknown })?.message === 'string' ? (r.body as { message: string }).message.slice(0, 300) : `HTTP ${r.status}`);

export function startEnforcement(opts: EnforcementOptions): Enforcement {
  const { kc, configuration, logger } = opts;
  const http = new IsomorphicFetchHttpLibrary();
  const resyncMs = opts.resyncMs ?? 5000;
  const path = (kind: string) => `/apis/admissionregistration.k8s.io/v1/${kind}/${encodeURIComponent(configuration)}`;
  // Logged once per distinct problem, not every round.
  let lastProblem = '';
  const problem = (text: string): void => {
    if (text !== lastProblem) logger.warn({ configuration }, text);
    lastProblem = text;
  };

  /** One pass over both configurations; true when every managed webhook ends as `want` says. */
  const reconcile = async (want: (webhook: string, target: FailurePolicy) => FailurePolicy, why: string): Promise<boolean> => {
    let settled = true;
    for (const kind of KINDS) {
      const got = await call(kc, http, HttpMethod.GET, path(kind));
      if (got.status === 404) continue;
      if (got.status !== 200) { problem(`cannot read ${kind}/${configuration}: ${reason(got)}`); settled = false; continue; }
      const cfg = got.body as WebhookConfigurationView;
      const plan = failurePolicyPatch(cfg, want);
      if (plan.error) { problem(`${kind}/${configuration}: ${plan.error}; its failurePolicy is left as it is`); settled = false; continue; }
      if (plan.ops.length === 0) continue;
      const patched = await call(kc, http, HttpMethod.PATCH, `${path(kind)}?fieldManager=${FIELD_MANAGER}`, { type: 'application/json-patch+json', value: plan.ops });
      if (patched.status !== 200) { problem(`cannot set the failurePolicy of ${kind}/${configuration}: ${reason(patched)}`); settled = false; continue; }
      logger.info({ configuration, kind, changes: plan.changes }, why);
    }
    if (settled) lastProblem = '';
    return settled;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let wasReady = false;
  let lastRound = 0;
  let lastOk = false;
  const tick = (): void => {
    if (stopped) return;
    const ready = opts.ready();
    const due = ready && (!wasReady || !lastOk || Date.now() - lastRound >= resyncMs);
    wasReady = ready;
    if (due) {
      lastRound = Date.now();
      running = reconcile(enforced, 'replica ready: enforcing the failurePolicy of the webhook configuration')
        .then((ok) => { lastOk = ok; opts.onEnforcing?.(ok); }, (err: unknown) => { lastOk = false; opts.onEnforcing?.(false); problem(`cannot reach the API server to enforce the failurePolicy: ${(err as Error).message}`); })
        .finally(() => { if (!stopped) timer = setTimeout(tick, opts.tickMs ?? 1000); });
    } else {
      timer = setTimeout(tick, opts.tickMs ?? 1000);
    }
  };
  tick();

  const stop = (): void => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };

  const handOver = async (): Promise<void> => {
    stop();
    await running;
    try {
      const own = new Set(Object.values(networkInterfaces()).flat().map((i) => i!.address));
      for (const kind of KINDS) {
        const got = await call(kc, http, HttpMethod.GET, path(kind));
        if (got.status !== 200) continue;
        for (const svc of calledServices(got.body as WebhookConfigurationView)) {
          const slices = await call(kc, http, HttpMethod.GET, `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(svc.namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc.name}`)}`);
          if (slices.status !== 200) { problem(`cannot list the endpoints of ${svc.namespace}/${svc.name}: ${reason(slices)}; the failurePolicy stays as it is`); return; }
          if (anotherReplicaReady((slices.body as { items?: EndpointSliceView[] }).items ?? [], own)) {
            logger.info({ configuration }, 'stopping while another replica is Ready: the failurePolicy stays as it is');
            return;
          }
        }
      }
      await reconcile(handedOver, 'last Ready replica stopping: webhooks fail open (Ignore) until a replica is Ready again');
    } catch (err) {
      problem(`cannot hand the webhooks over on shutdown: ${(err as Error).message}`);
    }
  };

  return { handOver, stop };
}
