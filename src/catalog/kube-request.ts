// One authenticated request to the API server of a kubeconfig, answered as status and text.
// client-node's generated API would load the whole generated client; the informers, the
// Declarations sync and the webhook-enforcement rounds need only this.

import { IsomorphicFetchHttpLibrary, RequestContext, type HttpMethod, type KubeConfig } from '../kube/client.ts';

export interface KubeRequest {
  method: HttpMethod;
  /** Path and query, appended to the cluster's server URL. */
  path: string;
  body?: { contentType: string; text: string };
  signal?: AbortSignal;
}

export async function kubeRequest(kc: KubeConfig, http: IsomorphicFetchHttpLibrary, req: KubeRequest): Promise<{ status: number; text: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const ctx = new RequestContext(server + req.path, req.method);
  ctx.setHeaderParam('Accept', 'application/json');
  if (req.body) {
    ctx.setHeaderParam('Content-Type', req.body.contentType);
    ctx.setBody(req.body.text);
  }
  if (req.signal) ctx.setSignal(req.signal);
  await kc.applySecurityAuthentication(ctx);
  const res = await http.send(ctx).toPromise();
  return { status: res.httpStatusCode, text: await res.body.text() };
}
