// Smoke test of the e2e harness itself: a real kube-apiserver answers kubectl.
import { expect } from 'chai';

import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

describe('e2e control plane', function () {
  let cp: ControlPlane;

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
  });

  it('serves the default namespace to kubectl', async () => {
    const res = await cp.kubectl(['get', 'ns', 'default', '-o', 'json']);
    expect(res.code, res.stderr).to.equal(0);
    const ns = JSON.parse(res.stdout) as { kind: string; metadata: { name: string } };
    expect(ns.kind).to.equal('Namespace');
    expect(ns.metadata.name).to.equal('default');
  });

  it('creates a namespace', async () => {
    const res = await cp.kubectl(['create', 'namespace', 'e2e-smoke']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/namespace\/e2e-smoke created/);
  });

  it('applies objects from stdin and authenticates the admin as system:masters', async () => {
    const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'smoke', namespace: 'e2e-smoke' }, data: { a: 'b' } });
    const applied = await cp.kubectl(['apply', '-f', '-'], { input: cm });
    expect(applied.code, applied.stderr).to.equal(0);
    const got = await cp.kubectl(['get', 'configmap', 'smoke', '-n', 'e2e-smoke', '-o', 'jsonpath={.data.a}']);
    expect(got.stdout).to.equal('b');
    const who = await cp.kubectl(['auth', 'whoami', '-o', 'json']);
    expect(who.code, who.stderr).to.equal(0);
    expect(who.stdout).to.include('system:masters');
  });

  it('reports kubectl failures through the exit code', async () => {
    const res = await cp.kubectl(['get', 'ns', 'does-not-exist']);
    expect(res.code).to.not.equal(0);
    expect(res.stderr).to.match(/NotFound|not found/);
  });
});
