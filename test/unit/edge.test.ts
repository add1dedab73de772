import { expect } from 'chai';
import { createServer } from 'node:https';
import { applyEdgeLimits, DEFAULT_EDGE_LIMITS, edgeServerOptions, EdgeLimitsError, resolveEdgeLimits } from '../../src/server/edge.ts';

// kube-apiserver's webhook calls: timeoutSeconds in manifests/base/webhooks.yaml, and the
// idle timeout of client-go's transport (Go's http.DefaultTransport, via utilnet.SetTransportDefaults).
const WEBHOOK_TIMEOUT_MS = 5_000;
const API_SERVER_IDLE_CONN_TIMEOUT_MS = 90_000;

describe('HTTP edge limits', () => {
  it('gives up on a request before the API server gives up on the webhook', () => {
    const l = resolveEdgeLimits();
    expect(l.headersTimeoutMs).to.be.below(l.requestTimeoutMs);
    expect(l.requestTimeoutMs).to.be.below(WEBHOOK_TIMEOUT_MS);
  });

  it('keeps idle connections longer than the API server does, so the client closes them first', () => {
    expect(resolveEdgeLimits().keepAliveTimeoutMs).to.be.above(API_SERVER_IDLE_CONN_TIMEOUT_MS);
  });

  it('applies every limit to a real HTTPS server', () => {
    const limits = resolveEdgeLimits({ headersTimeoutMs: 1_234, requestTimeoutMs: 2_345, handshakeTimeoutMs: 3_456 });
    const server = createServer(edgeServerOptions(limits));
    applyEdgeLimits(server, limits);
    expect(server).to.include({
      headersTimeout: 1_234, requestTimeout: 2_345, keepAliveTimeout: DEFAULT_EDGE_LIMITS.keepAliveTimeoutMs,
      maxConnections: DEFAULT_EDGE_LIMITS.maxConnections, maxHeaderSize: DEFAULT_EDGE_LIMITS.maxHeaderSize,
    });
    // Node would otherwise enforce the timeouts only every 30 s.
    expect((server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).to.be.at.most(1_234);
  });

  const invalid: [string, Parameters<typeof resolveEdgeLimits>[0], RegExp][] = [
    ['a headers timeout not below the request timeout', { headersTimeoutMs: 4_000, requestTimeoutMs: 4_000 }, /--headers-timeout \(4000 ms\) must be below --request-timeout \(4000 ms\)/],
    ['a request timeout past the longest webhook timeout', { headersTimeoutMs: 3_000, requestTimeoutMs: 31_000 }, /--request-timeout \(31000 ms\) must be at most 30000 ms/],
    ['zero', { handshakeTimeoutMs: 0 }, /handshakeTimeoutMs must be a positive integer, got 0/],
  ];
  for (const [what, overrides, message] of invalid) {
    it(`refuses ${what}`, () => {
      expect(() => resolveEdgeLimits(overrides)).to.throw(EdgeLimitsError, message);
    });
  }
});
