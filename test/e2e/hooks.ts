// One control plane shared by every e2e test file.
//
// test/e2e/run.js runs mocha with `--require test/e2e/hooks.ts`, which registers the root
// `afterAll` below. A test file gets the cluster with
//
//   import { sharedControlPlane } from './hooks.ts';
//   let cp: ControlPlane;
//   before(async function () { this.timeout(180_000); cp = await sharedControlPlane(); });
//
// The first caller starts it (~10-30 s); later callers get the same instance. It is stopped
// once, after the whole run. Do not call cp.stop() from a test file. Without the --require
// (e.g. `npx mocha test/e2e/x.test.ts`), the process exit handlers in cluster.ts still kill
// etcd and kube-apiserver and remove the temp dir when mocha exits.
//
// No controllers run in this cluster (no kube-controller-manager, no scheduler, no nodes):
// Pods stay Pending, Deployments get no ReplicaSets, deleted namespaces stay Terminating,
// and no `default` ServiceAccount is created (ServiceAccount admission is disabled). Use
// fresh namespace names per test rather than deleting and recreating one.

import { startControlPlane, type ControlPlane } from './cluster.ts';

// Kept on globalThis so that a copy of this module loaded through another path (mocha's
// --require vs. a test file's import) still shares the one instance.
const KEY = Symbol.for('extguard.e2e.controlPlane');
type Holder = { [KEY]?: Promise<ControlPlane> };

export function sharedControlPlane(): Promise<ControlPlane> {
  const g = globalThis as Holder;
  g[KEY] ??= startControlPlane();
  return g[KEY];
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    const g = globalThis as Holder;
    const starting = g[KEY];
    if (!starting) return;
    delete g[KEY];
    const cp = await starting.catch(() => undefined);
    await cp?.stop();
  },
};
