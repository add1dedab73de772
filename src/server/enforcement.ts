// The install window, carried out: once this replica is Ready, its own endpoint is Ready
// behind the Service and the caBundle trusts its certificate, give extguard's own webhooks
// the failurePolicy their annotation asks for; when the last Ready replica stops, hand them
// back to Ignore. What to set is decided in failure-policy.ts.
//
// Why extguard does this itself (as Kyverno manages its own webhooks): a webhook with
// failurePolicy Fail is active the moment it is applied, so an install, or a rollout whose
// image cannot start, would refuse every covered object in every judged namespace until a
// replica is Ready. Nothing outside extguard knows when that is.
//
// What it cannot cover, by design: every replica crashing (SIGKILL, OOM, a node lost) leaves
// Fail in place, which is what failurePolicy Fail means (docs/install.md "The install window").

import { networkInterfaces } from 'node:os';
import { HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig } from '../kube/client.ts';
import { describeError } from '../catalog/informers.ts';
import { kubeRequest } from '../catalog/kube-request.ts';
import type { Logger } from '../log.ts';
import { anotherReplicaReady, calledServices, enforced, failurePolicyPatch, handedOver, ownEndpointReady, type EndpointSliceView, type Want, type WebhookConfigurationView } from './failure-policy.ts';

const KINDS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const;
type Kind = (typeof KINDS)[number];
const FIELD_MANAGER = 'extguard';
/** Each API call of a round. */
const CALL_TIMEOUT_MS = 5000;

export interface EnforcementOptions {
  kc: KubeConfig;
  /** Name of the Mutating- and ValidatingWebhookConfiguration (both are called this). */
  configuration: string;
  ready: () => boolean;
  /** The certificate chain (PEM) this replica serves now; the caBundle must trust it before Fail. */
  servedChain: () => string;
  logger: Logger;
  /** Called with whether every managed webhook has its annotated policy, after each round. */
  onEnforcing?: (enforcing: boolean) => void;
  /**
   * Rounds while Ready (default 5 s), also after a failed round: `kubectl apply` of the
   * manifests re-sends the shipped Ignore, and this bounds how long that re-opens the window.
   */
  resyncMs?: number;
  /** How often readiness is looked at, so the first round follows it closely (default 1 s). */
  tickMs?: number;
}

export interface Enforcement {
  /**
   * Stops the rounds; when no other replica is Ready, sets the managed webhooks to Ignore.
   * Every call shares `deadlineMs`; past it the hand-over is abandoned and logged.
   */
  handOver(deadlineMs: number): Promise<void>;
  stop(): void;
}

interface Response { status: number; body: unknown }

async function call(kc: KubeConfig, http: IsomorphicFetchHttpLibrary, method: HttpMethod, path: string, signal: AbortSignal, body?: { type: string; value: unknown }): Promise<Response> {
  const res = await kubeRequest(kc, http, { method, path, signal, ...(body ? { body: { contentType: body.type, text: JSON.stringify(body.value) } } : {}) });
  let parsed: unknown;
  try { parsed = JSON.parse(res.text); } catch { parsed = undefined; }
  return { status: res.status, body: parsed };
}

/** The API server's Status message, which names the resource and never carries a request body. */
const reason = (r: Response): string => (typeof (r.body as { message?: unknown })?.message === 'string' ? (r.body as { message: string }).message.slice(0, 300) : `HTTP ${r.status}`);

export function startEnforcement(opts: EnforcementOptions): Enforcement {
  const { kc, configuration, logger } = opts;
  const http = new IsomorphicFetchHttpLibrary();
  const resyncMs = opts.resyncMs ?? 5000;
  const tickMs = opts.tickMs ?? 1000;
  const path = (kind: Kind) => `/apis/admissionregistration.k8s.io/v1/${kind}/${encodeURIComponent(configuration)}`;
  const own = (): Set<string> => new Set(Object.values(networkInterfaces()).flat().map((i) => i!.address));
  // What is wrong, per configuration (and 'api' for the API server itself): logged when it
  // changes, not every round, and forgotten once that configuration is settled.
  const problems = new Map<string, string>();
  const problem = (key: string, text: string, level: 'warn' | 'info' = 'warn'): void => {
    if (problems.get(key) !== text) logger[level]({ configuration }, text);
    problems.set(key, text);
  };

  const read = (kind: Kind, signal: AbortSignal) => call(kc, http, HttpMethod.GET, path(kind), signal);
  /** EndpointSlices of every Service the managed webhooks call, or a reason they cannot be listed. */
  const slicesOf = async (cfg: WebhookConfigurationView, signal: AbortSignal): Promise<EndpointSliceView[] | string> => {
    const out: EndpointSliceView[] = [];
    for (const svc of calledServices(cfg)) {
      const r = await call(kc, http, HttpMethod.GET, `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(svc.namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc.name}`)}`, signal);
      if (r.status !== 200) return `cannot list the endpoints of ${svc.namespace}/${svc.name}: ${reason(r)}`;
      out.push(...((r.body as { items?: EndpointSliceView[] }).items ?? []));
    }
    return out;
  };
  const patch = async (kind: Kind, cfg: WebhookConfigurationView, want: Want, why: string, signal: AbortSignal): Promise<boolean> => {
    const plan = failurePolicyPatch(cfg, want);
    if (plan.error) { problem(kind, `${kind}/${configuration}: ${plan.error}; its failurePolicy is left as it is`); return false; }
    if (plan.ops.length > 0) {
      const r = await call(kc, http, HttpMethod.PATCH, `${path(kind)}?fieldManager=${FIELD_MANAGER}`, signal, { type: 'application/json-patch+json', value: plan.ops });
      if (r.status !== 200) { problem(kind, `cannot set the failurePolicy of ${kind}/${configuration}: ${reason(r)}`); return false; }
      logger.info({ configuration, kind, changes: plan.changes }, why);
    }
    if (plan.held.length > 0) {
      problem(kind, `${kind}/${configuration}: ${plan.held.join(', ')} stay as they are until their caBundle trusts the serving certificate (cert-manager's CA injection, or a stale caBundle)`, 'info');
      return false;
    }
    problems.delete(kind);
    return true;
  };

  /** One enforcing pass over both configurations; true when every managed webhook has its target. */
  const enforce = async (): Promise<boolean> => {
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS * 4);
    let settled = true;
    for (const kind of KINDS) {
      const got = await read(kind, signal);
      if (got.status === 404) { problem(kind, `${kind}/${configuration} not found: nothing to enforce (is --webhook-configuration the name the manifests use?)`); settled = false; continue; }
      if (got.status !== 200) { problem(kind, `cannot read ${kind}/${configuration}: ${reason(got)}`); settled = false; continue; }
      const cfg = got.body as WebhookConfigurationView;
      const slices = await slicesOf(cfg, signal);
      if (typeof slices === 'string') { problem(kind, slices); settled = false; continue; }
      if (calledServices(cfg).length > 0 && !ownEndpointReady(slices, own())) {
        problem(kind, `waiting to enforce ${kind}/${configuration}: this replica is not yet a Ready endpoint of the Service it calls`, 'info');
        settled = false;
        continue;
      }
      if (!(await patch(kind, cfg, enforced(opts.servedChain()), 'replica ready: enforcing the failurePolicy of the webhook configuration', signal))) settled = false;
    }
    return settled;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let wasReady = false;
  let lastRound = 0;
  const tick = (): void => {
    if (stopped) return;
    const ready = opts.ready();
    // The first round as soon as this replica turns Ready; then every resyncMs, failed or not.
    const due = ready && (!wasReady || Date.now() - lastRound >= resyncMs);
    wasReady = ready;
    if (!due) { timer = setTimeout(tick, tickMs); return; }
    lastRound = Date.now();
    running = enforce()
      .then((ok) => { problems.delete('api'); opts.onEnforcing?.(ok); }, (err: unknown) => { opts.onEnforcing?.(false); problem('api', `cannot reach the API server to enforce the failurePolicy: ${describeError(err)}`); })
      .finally(() => { if (!stopped) timer = setTimeout(tick, tickMs); });
  };
  tick();

  const stop = (): void => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };

  const handOver = async (deadlineMs: number): Promise<void> => {
    stop();
    const deadline = AbortSignal.timeout(deadlineMs);
    try {
      // A round in flight finishes or is cut by the same deadline.
      await Promise.race([running, new Promise((r) => deadline.addEventListener('abort', r, { once: true }))]);
      const configs: Array<[Kind, WebhookConfigurationView]> = [];
      for (const kind of KINDS) {
        const got = await read(kind, deadline);
        if (got.status === 200) configs.push([kind, got.body as WebhookConfigurationView]);
      }
      for (const [, cfg] of configs) {
        const slices = await slicesOf(cfg, deadline);
        if (typeof slices === 'string') { problem('handover', `${slices}; the failurePolicy stays as it is`); return; }
        if (anotherReplicaReady(slices, own())) {
          logger.info({ configuration }, 'stopping while another replica is Ready: the failurePolicy stays as it is');
          return;
        }
      }
      for (const [kind, cfg] of configs) await patch(kind, cfg, handedOver, 'last Ready replica stopping: webhooks fail open (Ignore) until a replica is Ready again', deadline);
    } catch (err) {
      const why = deadline.aborted ? `no answer within ${deadlineMs} ms` : describeError(err);
      problem('handover', `cannot hand the webhooks over on shutdown: ${why}; the failurePolicy stays as it is`);
    }
  };

  return { handOver, stop };
}
