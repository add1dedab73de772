// The parts of @kubernetes/client-node that `serve` uses (a kubeconfig, list+watch, one
// authenticated request), imported from their own modules. The package's entry point, and
// every module that reaches its generated API, loads all ~2700 generated models: +85 MiB of
// RSS for a replica that uses none of them. `npm run build` replaces this module's output with
// an esbuild bundle of just these exports (tools/build/kube-client.ts); run from source
// (unit tests) it is these deep imports, which behave the same. Anything that needs the
// generated API (`check --cluster`) imports the package itself, lazily.
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
export { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node/dist/types.js';
