// The install window, through a real kube-apiserver (docs/operations.md "Install window"):
//
// - manifests/ applied while no replica can start (no kubelet runs here, so the Deployment's
//   image never starts, as with an image that cannot be pulled): nothing is refused;
// - once a replica is Ready, it sets the failurePolicy its configurations' annotation names,
//   and a re-apply of the manifests does not undo it;
// - the last Ready replica stopping gracefully hands the webhooks back to Ignore; a replica
//   stopping while another is Ready leaves them enforced.
// (A crash keeps Fail: webhook.test.ts "with the webhook crashed".)

import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';
import { endpointAddress, installSelfSigned, runInstalledPod, NAMESPACE, type Installation, type InstalledPod } from './install.ts';

const NS = 'e2e-window';
// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['e2e', 'Window', 'Plain', '-4b2e', 'Qz'].join('');
const CONFIG = 'defaultMode: enforce\nexemptNamespaces: [kube-system, kube-public, kube-node-lease, extguard-system]\n';

type Obj = Record<string, unknown>;
const leakyPod = (name: string): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env: [{ name: 'DB_PASSWORD', value: SECRET }] }] },
});

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe('install window: nothing refused until a replica is Ready', function () {
  let cp: ControlPlane;
  let installation: Installation | undefined;
  let hook: InstalledPod | undefined;
  const kubectlJson = (args: string[], obj: Obj) => cp.kubectl([...args, '-f', '-'], { input: JSON.stringify(obj) });
  /** failurePolicy of every entry of both configurations, by webhook name. */
  const policies = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const r = await cp.kubectl(['get', kind, 'extguard', '-o', 'json']);
      expect(r.code, r.stderr).to.equal(0);
      for (const w of JSON.parse(r.stdout).webhooks) out[w.name] = w.failurePolicy;
    }
    return out;
  };
  const ENFORCED = { 'mutate.extguard.io': 'Fail', 'validate.extguard.io': 'Fail', 'declarations.extguard.io': 'Fail', 'configmaps.extguard.io': 'Ignore', 'namespaces.extguard.io': 'Fail' };
  // The mode-label entry is Fail from the start and never handed over: tenants cannot switch their namespace off in the window.
  const OPEN = { ...Object.fromEntries(Object.keys(ENFORCED).map((k) => [k, 'Ignore'])), 'namespaces.extguard.io': 'Fail' };
  /** A real create (not a dry run): admitted means stored. Deleted again so names can be reused. */
  const admitted = async (name: string): Promise<boolean> => {
    const r = await kubectlJson(['create'], leakyPod(name));
    if (r.code === 0) await cp.kubectl(['delete', 'pod', name, '-n', NS, '--wait=false']);
    return r.code === 0;
  };

  before(async function () {
    this.timeout(120_000);
    cp = await sharedControlPlane();
    const r = await kubectlJson(['apply'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    expect(r.code, r.stderr).to.equal(0);
    installation = await installSelfSigned(cp, { config: CONFIG });
  });

  // Leaves extguard-system in place, as faults.test.ts does (no namespace controller runs
  // here, so a deleted namespace would stay Terminating for the files that follow), but
  // removes the webhook configurations, so nothing is blocked after this file.
  after(async function () {
    this.timeout(60_000);
    await hook?.stop();
    await cp.kubectl(['delete', 'endpointslice', 'extguard-other-replica', '-n', NAMESPACE, '--ignore-not-found']);
    await cp.kubectl(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'extguard', '--ignore-not-found']);
  });

  it('applied while no replica can start: every entry is Ignore, and a plaintext credential in an enforce namespace is admitted', async function () {
    this.timeout(60_000);
    expect(await policies()).to.deep.equal(OPEN);
    // The API server picks the configurations up asynchronously; admitted before and after.
    await sleep(2000);
    expect(await admitted('during-install'), 'a deploy during the install window').to.equal(true);
  });

  it('...but a tenant cannot switch its own namespace off in the window: the mode-label entry is Fail from the start', async function () {
    this.timeout(60_000);
    // A tenant allowed by RBAC to label this namespace, and nothing else.
    const rbac = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'e2e-window-ns-labeller' }, rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [NS], verbs: ['get', 'patch', 'update'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'e2e-window-ns-labeller' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-window-ns-labeller' }, subjects: [{ kind: 'User', name: 'window-tenant', apiGroup: 'rbac.authorization.k8s.io' }] },
    ];
    for (const o of rbac) expect((await kubectlJson(['apply'], o)).code).to.equal(0);
    const r = await cp.kubectl(['label', 'namespace', NS, 'extguard.io/mode=off', '--as=window-tenant', '--as-group=system:authenticated']);
    expect(r.code, r.stdout).to.not.equal(0);
    expect(r.stderr).to.match(/failed calling webhook "namespaces\.extguard\.io"/);
    // Another label is no business of extguard's, and passes.
    const other = await cp.kubectl(['label', 'namespace', NS, 'team=window', '--as=window-tenant', '--as-group=system:authenticated']);
    expect(other.code, other.stderr).to.equal(0);
  });

  it('a Ready replica sets the annotated policies (ConfigMaps stay Ignore), says so in its metrics, and enforcement starts', async function () {
    this.timeout(120_000);
    hook = await runInstalledPod(cp);
    await until('the replica to set the policies', 60_000, async () => JSON.stringify(await policies()) === JSON.stringify(ENFORCED));
    expect(hook.logs()).to.contain('enforcing the failurePolicy');
    expect(await hook.metrics()).to.match(/^extguard_webhook_failure_policy_enforced 1$/m);
    await until('the API server to deny through extguard', 60_000, async () => {
      const r = await kubectlJson(['create', '--dry-run=server'], leakyPod('probe'));
      return r.stderr.includes('extguard denied');
    });
    expect(await admitted('enforced'), 'enforce mode').to.equal(false);
  });

  // kubectl's client-side apply replaces the whole webhooks list, the shipped Ignore included.
  it('re-applying the manifests (kubectl apply -k, as a certificate renewal does): the Ready replica restores the policies within its 5 s round', async function () {
    this.timeout(60_000);
    const rounds = () => hook!.logs().split('\n').filter((l) => l.includes('enforcing the failurePolicy')).length;
    const before = rounds();
    await installation!.renewCertificates();
    await until('the policies to be restored', 20_000, async () => JSON.stringify(await policies()) === JSON.stringify(ENFORCED) && rounds() > before);
  });

  it('a replica stopping while another is Ready behind the Service leaves them enforced', async function () {
    this.timeout(60_000);
    // Another replica: an endpoint of the Service at an address that is not this host's.
    const own = endpointAddress()!;
    const other = own.addressType === 'IPv4' ? '192.0.2.10' : '2001:db8::10';
    const slice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'extguard-other-replica', namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'extguard', 'endpointslice.kubernetes.io/managed-by': 'e2e.extguard.io' } },
      addressType: own.addressType,
      endpoints: [{ addresses: [other], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
    };
    expect((await kubectlJson(['apply'], slice)).code).to.equal(0);
    const code = await hook!.stop();
    expect(code).to.equal(0);
    expect(hook!.logs()).to.contain('another replica is Ready');
    expect(await policies()).to.deep.equal(ENFORCED);
    expect((await cp.kubectl(['delete', 'endpointslice', 'extguard-other-replica', '-n', NAMESPACE])).code).to.equal(0);
    hook = await runInstalledPod(cp);
    await until('the replica to be Ready again', 60_000, async () => (await hook!.get('/readyz')).status === 200);
  });

  it('the last Ready replica stopping gracefully hands the webhooks back to Ignore: nothing is refused while none runs', async function () {
    this.timeout(60_000);
    const code = await hook!.stop();
    expect(code).to.equal(0);
    expect(hook!.logs()).to.contain('last Ready replica stopping');
    hook = undefined;
    expect(await policies()).to.deep.equal(OPEN);
    await until('the API server to admit again', 30_000, () => admitted('after-stop'));
  });
});
