// Exceptions (config `exceptions`) through a real kube-apiserver: the served configuration
// excepts one Deployment, holds one expired and one unused exception. A tenant (impersonated,
// with edit rights in its own namespace) is admitted with a warning and an audit annotation for
// the excepted object, denied for the expired one, cannot except itself (no object-level
// escape, no write to extguard's ConfigMap), and `check` with the served config lists the
// unused one. Then the native layer: the generated matchCondition, compiled and run by the API
// server with no webhook in the way.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.ts';
import type { KubeObject } from '../../src/native/common.ts';
import { nativePolicies } from '../../src/native/policies.ts';
import { bin, root } from '../helpers/process.ts';
import type { ControlPlane, KubectlResult } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';
import { installSelfSigned, NAMESPACE, runInstalledPod, type InstalledPod } from './install.ts';

// Built at run time so the test source holds no credential-shaped literal. Short enough
// (at most 15 characters) for the native policy to judge it too.
const SECRET = ['exc', 'Cred', '7', 'q2'].join('');
const TENANT = ['--as=tenant-erin', '--as-group=tenants'];
const NS = 'e2e-exc';
const NATIVE_NS = 'e2e-exc-native';

const CONFIG = `defaultMode: enforce
exceptions:
  - namespace: ${NS}
    kind: Deployment
    name: "report*"
    rules: [plaintext-credential]
    reason: "moving to External Secrets, OPS-123"
    expires: "2999-12-31"
  - namespace: ${NS}
    name: legacy
    rules: [plaintext-credential]
    reason: "was moved last year"
    expires: "2001-01-31"
  - namespace: billing
    rules: [plaintext-credential]
    reason: "nothing there any more"
    expires: "2999-12-31"
`;

type Obj = Record<string, unknown>;
const env = () => [{ name: 'DB_PASSWORD', value: SECRET }];
const deployment = (name: string, namespace: string, metadata: Obj = {}): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, ...metadata },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env: env() }] } } },
});
const pod = (name: string, namespace: string, metadata: Obj = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...metadata },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env: env() }] },
});

describe('exceptions through a real kube-apiserver', function () {
  let cp: ControlPlane;
  let hook: InstalledPod | undefined;
  const asTenant = (args: string[], input?: Obj): Promise<KubectlResult> => cp.kubectl([...args, ...TENANT], input ? { input: JSON.stringify(input) } : {});
  const asAdmin = (args: string[], input?: unknown): Promise<KubectlResult> => cp.kubectl(args, input ? { input: JSON.stringify(input) } : {});
  const auditAnnotations = async (name: string, namespace: string): Promise<Record<string, string>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const event = readFileSync(cp.auditLogPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .find((e) => e.verb === 'create' && e.objectRef?.name === name && e.objectRef?.namespace === namespace && e.stage === 'ResponseComplete');
      if (event) return event.annotations ?? {};
      if (Date.now() > deadline) throw new Error(`no audit event for ${namespace}/${name}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  };

  describe('in the webhook, as a tenant', () => {
    before(async function () {
      this.timeout(180_000);
      cp = await sharedControlPlane();
      const setup: Obj[] = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'extguard.io/mode': 'enforce' } } },
        // The built-in `edit` role is aggregated by kube-controller-manager, which does not run
        // here, so the tenant's editing rights are spelled out: ConfigMaps included.
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'e2e-exc-tenant-edit' },
          rules: [
            { apiGroups: [''], resources: ['pods', 'services', 'configmaps'], verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'] },
            { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'] },
          ] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tenant-edit', namespace: NS },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-exc-tenant-edit' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'tenant-erin' }] },
      ];
      for (const o of setup) {
        const r = await asAdmin(['apply', '-f', '-'], o);
        expect(r.code, r.stderr).to.equal(0);
      }
      await installSelfSigned(cp, { config: CONFIG });
      hook = await runInstalledPod(cp);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await asTenant(['create', '--dry-run=server', '-f', '-'], pod('probe', NS));
        if (r.code !== 0 && r.stderr.includes('extguard denied')) break;
        if (Date.now() > deadline) throw new Error(`webhook never judged the probe: ${r.stdout}${r.stderr}\n${hook.logs()}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    });

    // As governance.test.ts: the namespace stays, the webhook configurations go.
    after(async function () {
      this.timeout(60_000);
      await hook?.stop();
      await asAdmin(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'extguard', '--ignore-not-found']);
      const deadline = Date.now() + 30_000;
      while ((await asAdmin(['create', '--dry-run=server', '-f', '-'], pod('gone', NS))).code !== 0) {
        if (Date.now() > deadline) throw new Error('the webhook configurations were not dropped');
        await new Promise((res) => setTimeout(res, 250));
      }
    });

    it('used: the excepted Deployment is admitted with a warning naming the exception, and an audit annotation; never the value', async function () {
      this.timeout(30_000);
      const r = await asTenant(['create', '-f', '-'], deployment('reports', NS));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('Warning: excepted by #0 e2e-exc/Deployment/report*').and.contain('OPS-123').and.contain('until 2999-12-31').and.contain('[plaintext-credential]');
      const annotations = await auditAnnotations('reports', NS);
      const key = Object.keys(annotations).find((k) => k.endsWith('/exceptions'));
      expect(key, JSON.stringify(annotations)).to.be.a('string');
      expect(JSON.parse(annotations[key!]!)).to.deep.equal([{ exception: '#0 e2e-exc/Deployment/report*', expires: '2999-12-31', rule: 'plaintext-credential', container: 'app', path: 'spec.template.spec.containers[0].env[0].value' }]);
      expect(r.stdout + r.stderr + readFileSync(cp.auditLogPath, 'utf8')).to.not.contain(SECRET);
      expect(await hook!.metrics()).to.match(/^extguard_exceptions_applied_total\{exception="#0 e2e-exc\/Deployment\/report\*"\} [1-9]/m);
    });

    it("used: a Pod its Deployment's ReplicaSet owns is excepted with it", async () => {
      const owned = pod('reports-6d4cf56db6-x7k2p', NS, {
        labels: { 'pod-template-hash': '6d4cf56db6' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reports-6d4cf56db6', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
      });
      const r = await asTenant(['create', '--dry-run=server', '-f', '-'], owned);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('excepted by #0');
    });

    it('expired: denied, and the warning says the exception expired', async () => {
      const r = await asTenant(['create', '--dry-run=server', '-f', '-'], pod('legacy', NS));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('extguard denied').and.contain('[plaintext-credential]');
      expect(r.stderr).to.contain('exception #1 e2e-exc/*/legacy expired on 2001-01-31');
      expect(r.stdout + r.stderr).to.not.contain(SECRET);
    });

    it('a tenant cannot except itself: annotations claiming an exception change nothing, and the config ConfigMap is out of its reach', async () => {
      const claimed = deployment('payments', NS, { annotations: { 'extguard.io/exception': '#0', 'extguard.io/exceptions': 'plaintext-credential' } });
      const denied = await asTenant(['create', '--dry-run=server', '-f', '-'], claimed);
      expect(denied.code).to.not.equal(0);
      expect(denied.stderr).to.contain('extguard denied');
      // The tenant may edit ConfigMaps in its namespace, not extguard's.
      expect((await asTenant(['create', 'configmap', 'mine', '-n', NS, '--dry-run=server', '--from-literal=a=b'])).code).to.equal(0);
      const patch = await asTenant(['patch', 'configmap', 'extguard-config', '-n', NAMESPACE, '--type=merge', '-p', JSON.stringify({ data: { 'config.yaml': 'defaultMode: off\n' } })]);
      expect(patch.code).to.not.equal(0);
      expect(patch.stderr).to.match(/forbidden/i);
      const canI = await asTenant(['auth', 'can-i', 'update', 'configmaps/extguard-config', '-n', NAMESPACE]);
      expect(canI.stdout.trim()).to.equal('no');
    });

    it('unused: `extguard check` with the served configuration lists it, and the used and expired ones', async () => {
      const served = await asAdmin(['get', 'configmap', 'extguard-config', '-n', NAMESPACE, '-o', 'jsonpath={.data.config\\.yaml}']);
      expect(served.code, served.stderr).to.equal(0);
      const dir = mkdtempSync(join(tmpdir(), 'extguard-exc-'));
      writeFileSync(join(dir, 'config.yaml'), served.stdout);
      writeFileSync(join(dir, 'manifests.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment('reports', NS), pod('legacy', NS)] }));
      const r = spawnSync(process.execPath, [bin, 'check', '--config', join(dir, 'config.yaml'), '--format', 'json', join(dir, 'manifests.json')], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(1);
      const { exceptions } = JSON.parse(r.stdout);
      expect(exceptions.used.map((x: any) => x.label)).to.deep.equal(['#0 e2e-exc/Deployment/report*']);
      expect(exceptions.unused.map((x: any) => x.label)).to.deep.equal(['#2 billing/*/*']);
      expect(exceptions.expired.map((x: any) => x.label)).to.deep.equal(['#1 e2e-exc/*/legacy']);
      expect(r.stdout).to.not.contain(SECRET);
    });
  });

  describe('in the native layer, no webhook', () => {
    const POLICY = 'e2e-exc-native-credential';
    const config = parseConfig(CONFIG.replaceAll(`namespace: ${NS}`, `namespace: ${NATIVE_NS}`), 'e2e');

    before(async function () {
      this.timeout(60_000);
      cp = await sharedControlPlane();
      // The generated credential policy with the exceptions' matchCondition, under a name of its
      // own and bound Deny to one namespace only (other e2e files apply the shipped names).
      const generated = nativePolicies(config) as any[];
      const vap = structuredClone(generated.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'extguard-native-plaintext-credential'));
      vap.metadata.name = POLICY;
      // Fail, unlike the shipped Ignore: a matchCondition that errors must show, not admit.
      vap.spec.failurePolicy = 'Fail';
      const binding = {
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: POLICY },
        spec: { policyName: POLICY, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NATIVE_NS } } } },
      };
      // mode off: the webhook (if another file left one) does not judge here.
      const items: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NATIVE_NS, labels: { 'extguard.io/mode': 'off' } } }, vap, binding];
      const applied = await asAdmin(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items });
      expect(applied.code, applied.stderr.slice(0, 3000)).to.equal(0);
      // Admission policies are picked up asynchronously: wait until a plain violation is denied.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await asAdmin(['create', '--dry-run=server', '-f', '-'], deployment('probe', NATIVE_NS));
        if (r.code !== 0 && r.stderr.includes(POLICY)) break;
        if (Date.now() > deadline) throw new Error(`the native policy never denied the probe: ${r.code} ${r.stdout} ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    });

    after(async function () {
      this.timeout(30_000);
      await asAdmin(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', POLICY, '--ignore-not-found']);
    });

    it('an excepted Deployment, and a Pod its ReplicaSet owns, are not denied; others are; the expired one stays excluded (CEL has no clock)', async () => {
      const create = (o: Obj) => asAdmin(['create', '--dry-run=server', '-f', '-'], o);
      expect((await create(deployment('reports', NATIVE_NS))).code).to.equal(0);
      expect((await create(deployment('reports-eu', NATIVE_NS))).code).to.equal(0);
      const owned = pod('reports-6d4cf56db6-x7k2p', NATIVE_NS, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reports-6d4cf56db6', uid: '00000000-0000-0000-0000-000000000001', controller: true }] });
      expect((await create(owned)).code).to.equal(0);
      const other = await create(deployment('payments', NATIVE_NS));
      expect(other.code).to.not.equal(0);
      expect(other.stderr).to.contain(POLICY);
      // Expired: the webhook denies it again; the native layer only misses it.
      expect((await create(pod('legacy', NATIVE_NS))).code).to.equal(0);
    });
  });
});
