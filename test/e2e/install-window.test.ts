// The install window, through a real kube-apiserver (docs/install.md "The install window"):
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

  it('a replica whose endpoint is not yet Ready behind the Service (readiness probe, endpoint controller) leaves the window open', async function () {
    this.timeout(60_000);
    hook = await runInstalledPod(cp, { endpointReady: false });
    await until('the replica to be Ready itself', 30_000, async () => (await hook!.get('/readyz')).status === 200);
    await until('the replica to say why it waits', 15_000, async () => hook!.logs().includes('not yet a Ready endpoint'));
    const slices = (await cp.kubectl(['get', 'endpointslices', '-n', 'extguard-system', '-o', 'json'])).stdout;
    const enforcing = hook.logs().split('\n').filter((l) => /enforc|waiting/.test(l)).join('\n');
    expect(await policies(), `replica's log:\n${enforcing}\nEndpointSlices: ${slices}`).to.deep.equal(OPEN);
    expect(await hook.metrics()).to.match(/^extguard_webhook_failure_policy_enforced 0$/m);
  });

  it('once its endpoint is Ready, the replica sets the annotated policies (ConfigMaps stay Ignore), says so in its metrics, and enforcement starts', async function () {
    this.timeout(120_000);
    await hook!.setEndpointReady(true);
    await until('the replica to set the policies', 60_000, async () => JSON.stringify(await policies()) === JSON.stringify(ENFORCED));
    expect(hook!.logs()).to.contain('enforcing the failurePolicy');
    expect(await hook!.metrics()).to.match(/^extguard_webhook_failure_policy_enforced 1$/m);
    await until('the API server to deny through extguard', 60_000, async () => {
      const r = await kubectlJson(['create', '--dry-run=server'], leakyPod('probe'));
      return r.stderr.includes('extguard denied');
    });
    expect(await admitted('enforced'), 'enforce mode').to.equal(false);
  });

  it("extguard's ServiceAccount may change only failurePolicy (ValidatingAdmissionPolicy extguard-webhook-self-edit)", async function () {
    this.timeout(30_000);
    const asExtguard = ['--as=system:serviceaccount:extguard-system:extguard', '--as-group=system:serviceaccounts', '--as-group=system:serviceaccounts:extguard-system'];
    const patch = (ops: unknown[]) => cp.kubectl(['patch', 'validatingwebhookconfiguration', 'extguard', '--type=json', '-p', JSON.stringify(ops), ...asExtguard]);
    const widen = await patch([{ op: 'add', path: '/webhooks/0/rules/-', value: { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'], scope: '*' } }]);
    expect(widen.code, 'adding Secrets to what it is sent').to.not.equal(0);
    expect(widen.stderr).to.contain('may change only the failurePolicy');
    const elsewhere = await patch([{ op: 'replace', path: '/webhooks/0/clientConfig/service/name', value: 'elsewhere' }]);
    expect(elsewhere.code, 'pointing the webhook elsewhere').to.not.equal(0);
    const annotation = await patch([{ op: 'replace', path: '/metadata/annotations/extguard.io~1failure-policy', value: 'validate.extguard.io=Ignore' }]);
    expect(annotation.code, 'rewriting its own targets').to.not.equal(0);
    // What a replica does is allowed (a no-op here: already Fail).
    const allowed = await patch([{ op: 'test', path: '/webhooks/0/name', value: 'validate.extguard.io' }, { op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Fail' }]);
    expect(allowed.code, allowed.stderr).to.equal(0);
    // Anyone else, an administrator here, is not restricted by it.
    const admin = await cp.kubectl(['label', 'validatingwebhookconfiguration', 'extguard', 'e2e=admin-edit']);
    expect(admin.code, admin.stderr).to.equal(0);
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
