// Limits of the webhook's HTTPS listener. extguard runs with `failurePolicy: Fail`, so a
// client that holds sockets without finishing a request (slowloris), never finishes its TLS
// handshake or sends huge headers must cost little and be cut before the API server's own
// deadline, and must never crowd out the API server's connections.
//
// Facts about the client these figures are set against (kube-apiserver calling a webhook):
// - it gives up after the webhook's `timeoutSeconds` (5 s in manifests/base/webhooks.yaml);
// - it speaks HTTP/1.1 only (k8s.io/apiserver pkg/util/webhook/client.go sets
//   NextProtos = ["http/1.1"]) over a pooled client-go transport
//   (k8s.io/client-go transport/cache.go: MaxIdleConnsPerHost 25, TLSHandshakeTimeout 10 s)
//   whose IdleConnTimeout is filled in by utilnet.SetTransportDefaults
//   (k8s.io/apimachinery pkg/util/net/http.go, SetOldTransportDefaults) from Go's
//   http.DefaultTransport: 90 s.

import type { Server as HttpsServer, ServerOptions } from 'node:https';
import type { Logger } from '../log.ts';

export interface EdgeLimits {
  /** Time to receive a request's complete header block. */
  headersTimeoutMs: number;
  /** Time to receive a complete request, headers and body (judging is not counted). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
  /** Time from TCP accept to a finished TLS handshake. */
  handshakeTimeoutMs: number;
  /** Largest request line plus header block; larger gets 431. */
  maxHeaderSize: number;
  /** Open connections beyond this are dropped on accept. */
  maxConnections: number;
}

export const DEFAULT_EDGE_LIMITS: Readonly<EdgeLimits> = {
  // The API server sends its headers and body at once; a request not received well inside
  // its 5 s deadline is either an attacker or lost, and its socket is better freed.
  headersTimeoutMs: 3_000,
  requestTimeoutMs: 4_000,
  // Longer than the API server's 90 s idle timeout, so the client closes an idle connection
  // first. Were the server first, a POST the client writes onto a connection the server is
  // closing at that moment fails, and Go's Transport does not retry a POST it has written.
  keepAliveTimeoutMs: 120_000,
  // Node's default is 120 s; the API server's own client gives up after 10 s.
  handshakeTimeoutMs: 10_000,
  // An AdmissionReview request's headers are well under 1 KiB; Node's default is 16 KiB.
  maxHeaderSize: 8 * 1024,
  // Bounds sockets and memory. An API server keeps at most 25 idle connections per webhook
  // address plus one per review in flight: with 3 API servers, a couple of hundred at most.
  // A slowloris of a few hundred (each cut after headersTimeoutMs) on top still leaves
  // hundreds of free slots. Cost: an open TLS connection with a partial request measured
  // ~60 KiB RSS (1000 of them: +61 MiB over a server idling at ~150 MiB), under the Pod's
  // 256 Mi limit.
  maxConnections: 1_000,
};

/** The webhook's timeoutSeconds can be at most 30; a request still arriving after that is never answered in time. */
const MAX_REQUEST_TIMEOUT_MS = 30_000;

export class EdgeLimitsError extends Error {}

/** Defaults overridden by `overrides`; throws EdgeLimitsError naming the flag that is wrong. */
export function resolveEdgeLimits(overrides: Partial<EdgeLimits> = {}): EdgeLimits {
  const limits: EdgeLimits = { ...DEFAULT_EDGE_LIMITS };
  for (const [k, v] of Object.entries(overrides) as [keyof EdgeLimits, number | undefined][]) if (v !== undefined) limits[k] = v;
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v <= 0) throw new EdgeLimitsError(`${k} must be a positive integer, got ${v}`);
  }
  if (limits.headersTimeoutMs >= limits.requestTimeoutMs) {
    throw new EdgeLimitsError(`--headers-timeout (${limits.headersTimeoutMs} ms) must be below --request-timeout (${limits.requestTimeoutMs} ms): the headers are part of the request`);
  }
  if (limits.requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw new EdgeLimitsError(`--request-timeout (${limits.requestTimeoutMs} ms) must be at most ${MAX_REQUEST_TIMEOUT_MS} ms: the API server waits at most 30 s for a webhook`);
  }
  return limits;
}

/** Options only `https.createServer` takes; spread them over the TLS options. */
export function edgeServerOptions(limits: EdgeLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderSize,
    handshakeTimeout: limits.handshakeTimeoutMs,
    // Node enforces headersTimeout and requestTimeout by sweeping its connections every
    // connectionsCheckingInterval, 30 s by default: a 3 s headers timeout would then bite
    // anywhere between 3 and 33 s. Sweep often enough for the timeouts to mean what they say.
    connectionsCheckingInterval: Math.min(500, limits.headersTimeoutMs),
  };
}

/** Sets the limits a server takes after creation; logs connections dropped at maxConnections, at most once every 10 s. */
export function applyEdgeLimits(server: HttpsServer, limits: EdgeLimits, logger?: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  if (!logger) return;
  let quietUntil = 0;
  let dropped = 0;
  server.on('drop', () => {
    dropped++;
    if (Date.now() < quietUntil) return;
    logger.warn({ dropped, maxConnections: limits.maxConnections }, 'connection limit reached: dropped new connections');
    dropped = 0;
    quietUntil = Date.now() + 10_000;
  });
}
